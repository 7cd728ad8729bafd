package dev.custos.wasm.internal;

import dev.custos.wasm.FailureMode;
import dev.custos.wasm.HostGrants;
import dev.custos.wasm.SandboxLimits;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/** Carries what a sandbox is built with, shared by every module a reloading sandbox serves. */
public record SandboxConfig(
    SandboxLimits limits,
    HostGrants grants,
    MeterRegistry meterRegistry,
    FailureMode failureMode,
    Supplier<? extends @Nullable Object> instanceState,
    Duration logInterval) {}
