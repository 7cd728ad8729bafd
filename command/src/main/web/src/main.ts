// The dashboard's shell: navigation, sign-in state and hash routing.
import './style.css';
import { session, whenUnauthorized } from './api';
import { clear, h } from './dom';
import { alertsPage } from './pages/alerts';
import { findingsPage } from './pages/findings';
import { disposeHeatmap, heatmapPage } from './pages/heatmap';
import { identitiesPage } from './pages/identities';
import { lineagePage } from './pages/lineage';
import { mapPage } from './pages/map';
import { policiesPage, rolloutsPage } from './pages/policies';
import { signinPage } from './pages/signin';
import { current, go, href } from './route';
import { errorBox, Page } from './view';

const PAGES: { id: string; title: string; page: Page }[] = [
  { id: 'map', title: 'Service map', page: mapPage },
  { id: 'heatmap', title: 'Heatmap', page: heatmapPage },
  { id: 'identities', title: 'Top identities', page: identitiesPage },
  { id: 'findings', title: 'Findings', page: findingsPage },
  { id: 'lineage', title: 'Lineage', page: lineagePage },
  { id: 'policies', title: 'Policies', page: policiesPage },
  { id: 'rollouts', title: 'Rollouts', page: rolloutsPage },
  { id: 'alerts', title: 'Alerts', page: alertsPage },
];

let generation = 0;

function header(active: string): void {
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!nav || !who) return;
  if (!session.token()) {
    clear(nav);
    clear(who);
    return;
  }
  clear(nav, PAGES.map((p) => h('a', { href: href(p.id), 'data-page': p.id,
    class: p.id === active ? 'active' : null, 'aria-current': p.id === active ? 'page' : null },
  p.title)));
  const role = session.role();
  clear(who, session.name() ? session.name() + ' · ' : '',
    h('span', { class: 'role', 'data-role': role }, role === 'unknown' ? 'role unknown' : role),
    ' ', h('button', { type: 'button', class: 'link', onclick: () => {
      session.signOut();
      go('signin');
    } }, 'Sign out'));
}

async function render(): Promise<void> {
  const mine = ++generation;
  const live = () => mine === generation;
  const route = current();
  const el = document.getElementById('page');
  if (!el) return;
  disposeHeatmap();
  if (!session.token() && route.page !== 'signin') {
    const next = route.page && route.page !== 'signin' ? route.page : '';
    go('signin', '', next ? { next } : {});
    return;
  }
  const entry = PAGES.find((p) => p.id === route.page);
  if (route.page === 'signin') {
    header('');
    document.title = 'Sign in · Custos';
    await signinPage(route, el, live);
    return;
  }
  if (!entry) {
    go('map');
    return;
  }
  header(entry.id);
  document.title = `${entry.title} · Custos`;
  el.dataset.page = entry.id;
  try {
    await entry.page(route, el, live);
  } catch (e) {
    if (live()) clear(el, errorBox(e));
  }
}

whenUnauthorized(() => go('signin', '', { expired: '1' }));
window.addEventListener('hashchange', () => void render());
void render();
