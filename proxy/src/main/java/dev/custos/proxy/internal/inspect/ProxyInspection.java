package dev.custos.proxy.internal.inspect;

import static java.util.Objects.requireNonNull;

import com.linecorp.armeria.server.ServiceRequestContext;
import dev.custos.engine.Backend;
import dev.custos.engine.Confidence;
import dev.custos.engine.DetectorDefinition;
import dev.custos.engine.EvidenceKey;
import dev.custos.engine.PluginDetectorDefinition;
import dev.custos.engine.Policy;
import dev.custos.engine.Scanner;
import dev.custos.proxy.BudgetStore;
import dev.custos.proxy.CallerIdentity;
import dev.custos.proxy.FindingsSink;
import dev.custos.proxy.InspectionSettings;
import dev.custos.proxy.ProxyConfig;
import com.linecorp.armeria.common.MediaType;
import java.util.ArrayList;
import dev.custos.proxy.internal.Selection;
import dev.custos.proxy.internal.identity.IdentityResolver;
import dev.custos.wasm.WasmDetectors;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's source of {@link InspectionSettings}: the settings of the route a request runs
 * under, with the policy of the configuration it runs under. A scanner is compiled once per set
 * of detectors (pattern detectors and WebAssembly detectors, which run through {@link
 * WasmDetectors}), so a reload that changes only rules, identity, {@code enforce} or {@code
 * on_uninspectable} compiles nothing and applies at once. A reload that changes detectors is
 * compiled in the background (seconds for the built-in set); until it is ready, requests are
 * inspected under the last compiled policy, never on a request thread. Budgets live as long as
 * the proxy, across reloads. A route's limits ({@code inspection:} at the top level or under
 * the route) come from the configuration the request runs under. Thread-safe.
 */
public final class ProxyInspection {
  private static final Logger logger = LoggerFactory.getLogger(ProxyInspection.class);
  private static final int SHARED_SCANNERS = 4;
  /**
   * The last few compiled scanners by detector list, shared by the proxies of this process. An
   * evicted scanner is left to the garbage collector, not closed: requests may still use it.
   */
  private static final Map<ScannerKey, Scanner> SCANNERS =
      new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ScannerKey, Scanner> e) {
          return size() > SHARED_SCANNERS;
        }
      };

  /**
   * What a compiled scanner depends on: the pattern detectors, the plugin detectors and, when
   * there are any, the registry their failures are counted in. A pinned module is keyed by its
   * definition's values (the pin names its bytes); an unpinned one by the definition itself, so
   * every reload loads its file again.
   */
  private record ScannerKey(List<DetectorDefinition> detectors, List<Object> plugins,
      @Nullable MeterRegistry registry) {
    static ScannerKey of(Policy policy, MeterRegistry registry) {
      List<Object> plugins = new ArrayList<>();
      for (PluginDetectorDefinition d : policy.pluginDetectors()) {
        plugins.add(d.sha256() == null ? d : PluginKey.of(d));
      }
      return new ScannerKey(policy.detectors(), List.copyOf(plugins),
          plugins.isEmpty() ? null : registry);
    }
  }

  private record PluginKey(String id, String category, String module, String sha256,
      int timeoutMillis, PluginDetectorDefinition.OnError onError, Confidence confidence,
      Confidence minConfidence, int maxLength, int maxWindow, List<String> categories,
      DetectorDefinition.Normalization normalization) {
    static PluginKey of(PluginDetectorDefinition d) {
      return new PluginKey(d.id(), d.category(), d.module().toAbsolutePath().normalize().toString(),
          java.util.Objects.requireNonNull(d.sha256()), d.timeoutMillis(), d.onError(),
          d.confidence(), d.minConfidence(), d.maxLength(), d.maxWindow(), d.categories(),
          d.normalization());
    }
  }

  private static final ExecutorService COMPILER = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "custos-policy-compiler");
    t.setDaemon(true);
    return t;
  });

  /**
   * Plans by route: a route's name and inspection limits are all its settings depend on. A request
   * finds its route's plan by the route object (identity: a lookup hashes nothing), in a map
   * copied on write, as routes are few.
   */
  private static final class Current {
    final Policy policy;
    final Scanner scanner;
    final ConcurrentMap<RouteKey, InspectionPlan> byRoute = new ConcurrentHashMap<>();
    private volatile Map<ProxyConfig.Route, Planned> byRouteObject = new IdentityHashMap<>();

    Current(Policy policy, Scanner scanner) {
      this.policy = policy;
      this.scanner = scanner;
    }

    Policy policy() {
      return policy;
    }

    Scanner scanner() {
      return scanner;
    }

    @Nullable InspectionPlan planned(ProxyConfig config, ProxyConfig.Route route) {
      Planned p = byRouteObject.get(route);
      return p != null && p.config() == config ? p.plan() : null;
    }

    synchronized void remember(ProxyConfig config, ProxyConfig.Route route, InspectionPlan plan) {
      Map<ProxyConfig.Route, Planned> next = new IdentityHashMap<>(byRouteObject);
      next.put(route, new Planned(config, plan));
      byRouteObject = next;
    }
  }

  private record Planned(ProxyConfig config, InspectionPlan plan) {}

  private record RouteKey(String name, ProxyConfig.Inspection limits) {}

  private final MeterRegistry registry;
  private final WasmDetectors plugins;
  private final FindingsSink sink;
  private final BudgetStore budgets;
  private final EvidenceKey identityKey = EvidenceKey.fromEnvironment();
  private volatile @Nullable Current current;
  private final AtomicLong requested = new AtomicLong();
  /** gRPC descriptors fetched by server reflection: kept across reloads, per cluster and service. */
  private final GrpcReflection reflection;

  /** Creates settings that count into {@code registry} and send events to {@code sink}. */
  public ProxyInspection(MeterRegistry registry, FindingsSink sink) {
    this(registry, sink, BudgetStore.inMemory());
  }

  /**
   * Creates settings that count into {@code registry}, send events to {@code sink} and keep
   * per-identity budgets in {@code budgets}.
   */
  public ProxyInspection(MeterRegistry registry, FindingsSink sink, BudgetStore budgets) {
    this.budgets = requireNonNull(budgets, "budgets");
    this.registry = requireNonNull(registry, "registry");
    this.reflection = new GrpcReflection(registry);
    this.plugins = WasmDetectors.builder().meterRegistry(registry).build();
    this.sink = requireNonNull(sink, "sink");
  }

  /** Compiles {@code policy}'s detectors now, unless already compiled, and inspects with it. */
  public void prepare(Policy policy) {
    requireNonNull(policy, "policy");
    requested.incrementAndGet();
    current = new Current(policy, scanner(policy));
  }

  /**
   * Inspects with {@code policy} from now on when its detectors are compiled already, else once
   * they are, compiled on a background thread; a later call supersedes an earlier one.
   */
  public void prepareInBackground(Policy policy) {
    requireNonNull(policy, "policy");
    long generation = requested.incrementAndGet();
    Scanner cached = cached(policy);
    if (cached != null) {
      current = new Current(policy, cached);
      return;
    }
    logger.info("compiling the detectors of {}; the previous policy inspects until then", policy);
    COMPILER.execute(() -> {
      if (requested.get() != generation) {
        return;
      }
      try {
        Scanner s = scanner(policy);
        synchronized (this) {
          if (requested.get() == generation) {
            current = new Current(policy, s);
          }
        }
      } catch (RuntimeException e) {
        logger.warn("compiling the detectors of {} failed ({}); the previous policy inspects",
            policy, e.getClass().getName());
      }
    });
  }

  private @Nullable Scanner cached(Policy policy) {
    synchronized (SCANNERS) {
      return SCANNERS.get(ScannerKey.of(policy, registry));
    }
  }

  private Scanner scanner(Policy policy) {
    synchronized (SCANNERS) {
      return SCANNERS.computeIfAbsent(ScannerKey.of(policy, registry),
          // Messages are small: the pure-Java backend scans a 7 KB JSON body in about 60 us of
          // CPU against Hyperscan's 88 us (stream set-up and JNI calls dominate), and an evicted
          // scanner holds no native memory.
          k -> Scanner.builder(policy).backend(Backend.JAVA).pluginDetectors(plugins).build());
    }
  }

  /** Returns whether the route selected for {@code ctx} is inspected at all. */
  public boolean enabled(ServiceRequestContext ctx) {
    Selection selection = ctx.attr(Selection.KEY);
    return selection == null
        || selection.snapshot().config().inspection(selection.route()).enabled();
  }

  /**
   * Returns the plan of the route selected for {@code ctx}, under the policy of the configuration
   * it runs under (the last compiled one while that policy compiles); made once per route and
   * policy, so a request finds it without building anything.
   *
   * @throws IllegalStateException outside the proxy's chain (no route selected)
   */
  public InspectionPlan plan(ServiceRequestContext ctx) {
    Selection selection = ctx.attr(Selection.KEY);
    if (selection == null) {
      throw new IllegalStateException("no route selected (expected: the routing layer in front)");
    }
    return plan(selection.snapshot().config(), selection.route());
  }

  /**
   * Returns the plan of {@code selected}, one of {@code config}'s routes, under the policy of
   * {@code config} (the last compiled one while that policy compiles): the same plan {@link
   * #plan(ServiceRequestContext)} finds for a request the proxy routed there. Envoy's external
   * processing server uses it, having matched the route itself.
   */
  public InspectionPlan plan(ProxyConfig config, ProxyConfig.Route selected) {
    requireNonNull(config, "config");
    requireNonNull(selected, "selected");
    Policy policy = config.policy();
    Current c = current;
    if (c != null && c.policy() == policy) {
      InspectionPlan planned = c.planned(config, selected);
      if (planned != null) {
        return planned;
      }
      RouteKey route = new RouteKey(selected.name(), config.inspection(selected));
      InspectionPlan plan = c.byRoute.computeIfAbsent(route, r -> plan(c.scanner(), policy, r));
      c.remember(config, selected, plan);
      return plan;
    }
    RouteKey route = new RouteKey(selected.name(), config.inspection(selected));
    Scanner scanner = cached(policy);
    if (scanner != null) {
      return plan(scanner, policy, route);
    }
    if (c == null) {
      throw new IllegalStateException("no policy prepared (expected: prepare() at start)");
    }
    // The request's policy is still compiling: the last compiled one inspects it.
    return c.byRoute.computeIfAbsent(route, r -> plan(c.scanner(), c.policy(), r));
  }

  private InspectionPlan plan(Scanner scanner, Policy policy, RouteKey route) {
    java.nio.file.Path descriptors = route.limits().grpcDescriptorSet();
    GrpcDescriptors grpc = null;
    if (descriptors != null) {
      try {
        grpc = GrpcDescriptors.load(descriptors);
      } catch (IllegalArgumentException e) {
        // Checked when the configuration was read; changed since: read gRPC without a schema.
        logger.warn("route {}: gRPC descriptors not loaded, messages are read without them: {}",
            route.name(), e.getMessage());
      }
    }
    ProxyConfig.GrpcReflection reflecting = route.limits().grpcReflection();
    if (grpc == null && reflecting != null) {
      return InspectionPlan.reflecting(settings(scanner, policy, route), reflection, reflecting);
    }
    return InspectionPlan.of(settings(scanner, policy, route), grpc);
  }

  private InspectionSettings settings(Scanner scanner, Policy policy, RouteKey route) {
    ProxyConfig.Inspection limits = route.limits();
    List<MediaType> skipped = new ArrayList<>();
    for (String type : limits.skipMediaTypes()) {
      skipped.add(MediaType.parse(type));
    }
    return InspectionSettings.builder(scanner)
        .policy(policy)
        .route(route.name())
        .maxInspectedBody(limits.maxInspectedBody())
        .maxDecodedBody(limits.maxDecodedBody())
        .maxDecodeRatio(limits.maxDecodeRatio())
        .skippedMediaTypes(skipped)
        .meterRegistry(registry)
        .findingsSink(sink)
        .budgetStore(budgets)
        .identityKey(identityKey)
        .callerIdentity(callerIdentity(policy))
        .build();
  }

  /**
   * Returns the inspector of a layer-4 listener's records, which inspects under the policy last
   * compiled (as HTTP requests do while a reload compiles) and shares this layer's sink, metrics
   * and budgets.
   */
  public RecordInspector records(String listener, String protocol) {
    return new RecordInspector(listener, protocol, () -> {
      Current c = current;
      if (c == null) {
        throw new IllegalStateException("no policy prepared (expected: prepare() at start)");
      }
      return new RecordInspector.Compiled(c.policy(), c.scanner());
    }, registry, sink, budgets, identityKey, java.time.Clock.systemUTC());
  }

  /** Returns the key identities are hashed under, shared with the authentication layer. */
  public EvidenceKey identityKey() {
    return identityKey;
  }

  /**
   * Returns who a request comes from under {@code policy}'s identity sources (JWT claim, header,
   * client IP behind trusted proxies), unless an earlier layer already set {@link
   * CallerIdentity#ATTRIBUTE}.
   */
  private CallerIdentity callerIdentity(Policy policy) {
    IdentityResolver resolver = new IdentityResolver(policy.identitySources(), identityKey);
    return ctx -> {
      String resolved = ctx.attr(CallerIdentity.ATTRIBUTE);
      if (resolved != null) {
        return resolved;
      }
      java.net.SocketAddress remote = ctx.remoteAddress();
      java.net.InetAddress peer =
          remote instanceof java.net.InetSocketAddress inet && inet.getAddress() != null
              ? inet.getAddress()
              : ctx.clientAddress();
      return resolver.resolve(ctx.request().headers(), peer).key();
    };
  }
}
