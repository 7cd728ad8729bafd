package dev.custos.proxy.internal.telemetry;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The proxy's process metrics: Micrometer's JVM binders (memory pools, garbage collection,
 * threads, class loading), the process's CPU, uptime and open files, and {@code
 * custos_build_info} (always 1, with the version and Java version as labels, for joins and
 * rollout dashboards). Close it to stop listening for garbage collections. Thread-safe.
 */
public final class ProcessMetrics implements AutoCloseable {
  private static final String VERSION = readVersion();

  private final JvmGcMetrics gc = new JvmGcMetrics();

  /** Binds the metrics to a registry. */
  public ProcessMetrics(MeterRegistry registry) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("custos.build.info", () -> 1)
        .description("Custos build: always 1; the labels say which version runs")
        .tag("version", VERSION)
        .tag("java_version", System.getProperty("java.version", "unknown"))
        .register(registry);
  }

  /** Returns the version this proxy was built as, or {@code unknown}. */
  public static String version() {
    return VERSION;
  }

  private static String readVersion() {
    try (InputStream in = ProcessMetrics.class.getResourceAsStream(
        "/dev/custos/proxy/build.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "unknown");
      return v.startsWith("${") ? "unknown" : v;
    } catch (IOException e) {
      return "unknown";
    }
  }

  @Override
  public void close() {
    gc.close();
  }
}
