package dev.custos.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.awaitility.Awaitility.await;

import com.linecorp.armeria.client.WebClient;
import com.linecorp.armeria.common.Flags;
import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.HttpStatus;
import com.linecorp.armeria.common.util.EventLoopGroups;
import com.linecorp.armeria.server.Server;
import io.netty.channel.EventLoopGroup;
import org.junit.jupiter.api.Test;

class BossGroupsTest {
  @Test
  void aServerAcceptsOnBossGroupsAndTheirThreadsEndWithTheStop() {
    Server server = Server.builder()
        .bossGroupFactory(BossGroups::newBossGroup)
        .http(0)
        .service("/", (ctx, req) -> HttpResponse.of(HttpStatus.OK))
        .build();
    server.start().join();
    String boss = "armeria-boss-http-*:" + server.activeLocalPort();
    try {
      assertThat(WebClient.of("http://127.0.0.1:" + server.activeLocalPort()).get("/")
          .aggregate().join().status()).isEqualTo(HttpStatus.OK);
      assertThat(threadNames()).contains(boss);
    } finally {
      server.stop().join();
    }
    // Server.stop() completes once the boss group has terminated; its thread ends right after.
    await().untilAsserted(() -> assertThat(threadNames()).doesNotContain(boss));
  }

  @Test
  void aBossGroupIsOfTheTransportArmeriaUsesAndNamesItsThreadAsAsked() throws Exception {
    EventLoopGroup group = BossGroups.newBossGroup("custos-test-boss");
    try {
      assertThat(EventLoopGroups.serverChannelType(group))
          .isEqualTo(Flags.transportType().serverChannelType());
      assertThat(group.submit(() -> Thread.currentThread().getName()).get())
          .isEqualTo("custos-test-boss");
    } finally {
      group.shutdownGracefully().sync();
    }
    assertThat(group.isTerminated()).isTrue();
  }

  @Test
  void aNameIsRequired() {
    assertThatNullPointerException().isThrownBy(() -> BossGroups.newBossGroup(null))
        .withMessage("name");
  }

  private static java.util.Set<String> threadNames() {
    return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
        .map(Thread::getName).collect(java.util.stream.Collectors.toSet());
  }
}
