package dev.custos.command.internal.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.custos.command.CommandConfig;
import dev.custos.command.Databases;
import dev.custos.command.internal.store.Store;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Silences are listed in keyset pages: every silence of a state on exactly one page. */
class SilencePagesTest {
  private static final long NOW = 1_800_000_000_000L;

  @TempDir
  Path dir;

  private CommandConfig.Database db;
  private Store store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
    if (db != null) {
      Databases.drop(db);
    }
  }

  private static Silence silence(long starts, long ends) {
    return new Silence(UUID.randomUUID().toString(), "", "credit_card", "", "", starts, ends,
        "oncall", starts, "");
  }

  private static List<String> all(AlertStore alerts, String state, int limit)
      throws Exception {
    List<String> ids = new ArrayList<>();
    AlertStore.SilencePosition before = null;
    while (true) {
      List<Silence> page = alerts.silences(state, NOW, before, limit);
      assertThat(page).hasSizeLessThanOrEqualTo(limit);
      page.forEach(s -> ids.add(s.id()));
      if (page.size() < limit) {
        return ids;
      }
      Silence last = page.get(page.size() - 1);
      before = new AlertStore.SilencePosition(last.endsMillis(), last.id());
    }
  }

  @ParameterizedTest
  @EnumSource(Databases.Kind.class)
  void pagesHoldEverySilenceOfTheirStateOnceEvenWhenEndsTie(Databases.Kind kind)
      throws Exception {
    db = Databases.fresh(kind, dir);
    store = Store.open(db);
    AlertStore alerts = new AlertStore(store.dataSource());
    List<String> active = new ArrayList<>();
    List<String> pending = new ArrayList<>();
    List<String> expired = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      // Three share each end, so pages split ties.
      Silence a = silence(NOW - 1_000, NOW + 60_000 * (i / 3 + 1));
      Silence p = silence(NOW + 1_000, NOW + 120_000);
      Silence e = silence(NOW - 120_000, NOW - 1_000 * (i / 3));
      alerts.addSilence(a);
      alerts.addSilence(p);
      alerts.addSilence(e);
      active.add(a.id());
      pending.add(p.id());
      expired.add(e.id());
    }

    assertThat(all(alerts, "active", 3)).containsExactlyInAnyOrderElementsOf(active);
    assertThat(all(alerts, "pending", 2)).containsExactlyInAnyOrderElementsOf(pending);
    assertThat(all(alerts, "expired", 3)).containsExactlyInAnyOrderElementsOf(expired);
    List<String> everything = all(alerts, "all", 4);
    assertThat(everything).hasSize(21).doesNotHaveDuplicates();
    assertThat(alerts.silences("all", NOW, null, 1000)).extracting(Silence::id)
        .containsExactlyElementsOf(everything);
  }
}
