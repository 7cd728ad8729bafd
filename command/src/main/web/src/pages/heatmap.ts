// Category heatmap over time: findings per category per minute or hour.
import { HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import { api, query } from '../api';
import { clear, fmtNumber, h, table } from '../dom';
import { filterBar, learnCategories, timeRange } from '../filters';
import { errorBox, loading, Page } from '../view';

echarts.use([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

interface Heatmap {
  from: string;
  to: string;
  bucket: string;
  categories: string[];
  times: string[];
  counts: number[][];
}

let chart: echarts.ECharts | null = null;

function timeLabel(iso: string, bucket: string): string {
  const d = new Date(iso);
  const s = d.toISOString();
  return bucket === 'minute' ? s.slice(5, 16).replace('T', ' ') : s.slice(5, 13).replace('T', ' ')
    + 'h';
}

export const heatmapPage: Page = async (route, el, live) => {
  const body = h('div', {}, loading('the heatmap'));
  const bucket = route.params.get('bucket') ?? 'hour';
  clear(el, h('h1', {}, 'Category heatmap'),
    h('p', { class: 'muted' }, 'Findings per category over time (UTC).'),
    filterBar(route, [{ name: 'bucket', label: 'Bucket', options: ['minute', 'hour'],
      dflt: 'hour' }]), body);
  chart?.dispose();
  chart = null;
  const { from, to } = timeRange(route);
  let data: Heatmap;
  try {
    data = await api<Heatmap>('/api/v1/heatmap' + query({ from, to, bucket }));
  } catch (e) {
    if (live()) clear(body, errorBox(e, () => void heatmapPage(route, el, live)));
    return;
  }
  if (!live()) return;
  learnCategories(data.categories);
  const total = data.counts.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
  if (data.categories.length === 0 || total === 0) {
    clear(body, h('p', { class: 'empty' }, 'No findings in this time range.'));
    return;
  }
  const points: [number, number, number][] = [];
  let max = 1;
  data.counts.forEach((row, c) => row.forEach((v, t) => {
    if (v > 0) points.push([t, c, v]);
    max = Math.max(max, v);
  }));
  const box = h('div', { class: 'heatmap', id: 'heatmap-chart', role: 'img',
    'aria-label': 'Category heatmap' });
  const totals = data.categories.map((c, i) => ({ category: c,
    findings: data.counts[i].reduce((a, b) => a + b, 0) }))
    .sort((a, b) => b.findings - a.findings);
  clear(body, box, h('h2', {}, 'Totals'), table([
    { title: 'category', cell: (r) => r.category },
    { title: 'findings', cell: (r) => fmtNumber(r.findings), numeric: true },
  ], totals, 'No findings.', { 'data-table': 'heatmap-totals' }));
  chart = echarts.init(box, undefined, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    tooltip: {
      position: 'top',
      // Plain text only: values are escaped by building no markup at all.
      formatter: (p: { value: [number, number, number] }) => {
        const [t, c, v] = p.value;
        return `${data.categories[c]} · ${timeLabel(data.times[t], data.bucket)}: ${v}`
          .replace(/[<>&"]/g, '');
      },
    },
    grid: { left: 140, right: 20, top: 10, bottom: 70 },
    xAxis: { type: 'category', data: data.times.map((t) => timeLabel(t, data.bucket)),
      splitArea: { show: true } },
    yAxis: { type: 'category', data: data.categories, splitArea: { show: true } },
    visualMap: { min: 0, max, calculable: true, orient: 'horizontal', left: 'center',
      bottom: 0, inRange: { color: ['#eef4fb', '#f2b134', '#c0392b'] } },
    series: [{ type: 'heatmap', data: points, label: { show: false },
      emphasis: { itemStyle: { borderColor: '#333', borderWidth: 1 } } }],
  });
  box.dataset.categories = String(data.categories.length);
  box.dataset.times = String(data.times.length);
  box.dataset.ready = 'true';
};

/** Frees the chart when the user leaves the page. */
export function disposeHeatmap(): void {
  chart?.dispose();
  chart = null;
}
