package dev.custos.proxy.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.linecorp.armeria.client.Endpoint;
import com.linecorp.armeria.client.endpoint.EndpointGroup;
import com.linecorp.armeria.common.SessionProtocol;
import com.linecorp.armeria.common.util.EventLoopGroups;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class CallerEventLoopSchedulerTest {
  static final EventLoopGroup group = EventLoopGroups.newEventLoopGroup(3);
  static final Endpoint endpoint = Endpoint.of("127.0.0.1", 9);

  @AfterAll
  static void shutDown() {
    group.shutdownGracefully();
  }

  @Test
  void aRequestMadeOnAnEventLoopStaysOnThatLoop() {
    CallerEventLoopScheduler scheduler = new CallerEventLoopScheduler(group);
    for (EventExecutor e : group) {
      EventLoop loop = (EventLoop) e;
      CompletableFuture<EventLoop> chosen = CompletableFuture.supplyAsync(() -> scheduler
          .acquire(SessionProtocol.HTTP, EndpointGroup.of(endpoint), endpoint).get(), loop);
      assertThat(chosen).succeedsWithin(Duration.ofSeconds(10)).isSameAs(loop);
    }
  }

  @Test
  void aRequestMadeElsewhereTakesTheLoopsInTurn() {
    CallerEventLoopScheduler scheduler = new CallerEventLoopScheduler(group);
    List<EventLoop> chosen = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      chosen.add(scheduler.acquire(SessionProtocol.HTTP, EndpointGroup.of(endpoint), endpoint)
          .get());
    }
    Set<EventLoop> all = new HashSet<>();
    group.forEach(e -> all.add((EventLoop) e));
    assertThat(new HashSet<>(chosen.subList(0, 3))).isEqualTo(all);
    assertThat(chosen.subList(3, 6)).isEqualTo(chosen.subList(0, 3));
  }
}
