package dev.custos.wasm.internal;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.dylibso.chicory.runtime.ExecutionListener;
import com.dylibso.chicory.wasm.types.OpCode;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.Arrays;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Enforces call deadlines by interrupting the calling thread from one shared watchdog thread.
 *
 * <p>Chicory's interpreter and compiled code both poll {@link Thread#isInterrupted()} and throw
 * {@code ChicoryInterruptedException}. A {@link Guard} makes sure the interrupt lands only while
 * its call is in progress and is cleared before the call returns.
 *
 * <p>Each thread has one {@link Guard}, reused by all its calls (nested calls into other
 * sandboxes push their deadline on it), so arming and finishing a call allocate nothing and take
 * no lock. The watchdog sleeps until the earliest deadline; a call whose deadline is earlier than
 * that wakes it. Cost per call: a few volatile accesses and one CAS; the watchdog's scan is
 * O(threads that ever called).
 *
 * <p>Chicory 1.7.5's interpreter polls only on {@code br}, calls and {@code call_indirect}, not
 * on {@code br_if} or {@code br_table}, so a loop closed by {@code br_if} would never see the
 * interrupt. {@link #INTERPRETER_BRANCHES} closes that gap for interpreted code (whole modules
 * on the interpreter, and functions the compiler leaves to it); compiled code polls on its own.
 */
final class Deadlines {
  /** How long the watchdog sleeps when no call is in progress; any call wakes it sooner. */
  private static final long IDLE_NANOS = TimeUnit.HOURS.toNanos(1);

  private static final ConcurrentLinkedQueue<Guard> GUARDS = new ConcurrentLinkedQueue<>();
  private static final ThreadLocal<Guard> CURRENT =
      ThreadLocal.withInitial(
          () -> {
            var guard = new Guard(Thread.currentThread());
            GUARDS.add(guard);
            return guard;
          });
  /** When the watchdog next wakes up on its own, in {@link System#nanoTime()} terms. */
  private static volatile long wakeAt = System.nanoTime() + IDLE_NANOS;

  private static final Thread WATCHDOG = startWatchdog();

  private static final Set<OpCode> UNCHECKED_BRANCHES =
      EnumSet.of(
          OpCode.BR_IF,
          OpCode.BR_TABLE,
          OpCode.BR_ON_NULL,
          OpCode.BR_ON_NON_NULL,
          OpCode.BR_ON_CAST,
          OpCode.BR_ON_CAST_FAIL);

  /** Polls the interrupt status on the interpreter's branches that do not poll it. */
  static final ExecutionListener INTERPRETER_BRANCHES =
      (instruction, stack) -> {
        if (UNCHECKED_BRANCHES.contains(instruction.opcode())
            && Thread.currentThread().isInterrupted()) {
          throw new ChicoryInterruptedException("Thread interrupted");
        }
      };

  private Deadlines() {}

  private static Thread startWatchdog() {
    var thread = new Thread(Deadlines::watch, "custos-wasm-deadline");
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private static void watch() {
    while (true) {
      long now = System.nanoTime();
      long next = now + IDLE_NANOS;
      for (var it = GUARDS.iterator(); it.hasNext(); ) {
        Guard guard = it.next();
        if (!guard.thread.isAlive()) {
          it.remove();
        } else if (guard.state.get() == Guard.RUNNING) {
          long deadline = guard.deadline;
          if (now - deadline >= 0) {
            guard.expire();
          } else if (deadline - next < 0) {
            next = deadline;
          }
        }
      }
      wakeAt = next;
      // A call armed after the scan with an earlier deadline either was seen here or saw wakeAt.
      if (earliestRunning(next) - next < 0) {
        continue;
      }
      LockSupport.parkNanos(next - System.nanoTime());
    }
  }

  private static long earliestRunning(long bound) {
    long earliest = bound;
    for (Guard guard : GUARDS) {
      if (guard.state.get() == Guard.RUNNING && guard.deadline - earliest < 0) {
        earliest = guard.deadline;
      }
    }
    return earliest;
  }

  /** Starts guarding a call on the current thread that must end within {@code timeout}. */
  static Guard arm(Duration timeout) {
    Guard guard = CURRENT.get();
    guard.push(System.nanoTime() + timeout.toNanos());
    wakeBefore(guard.deadline);
    return guard;
  }

  private static void wakeBefore(long deadline) {
    if (deadline - wakeAt < 0) {
      LockSupport.unpark(WATCHDOG);
    }
  }

  /**
   * Guards the calls of one thread; {@link #finish()} must be called once per {@link #arm}, on
   * that thread.
   */
  static final class Guard {
    private static final int IDLE = 0;
    private static final int RUNNING = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    private final AtomicInteger state = new AtomicInteger(IDLE);
    private final Thread thread;
    /** The deadline in force: the earliest of the nested calls'. */
    private volatile long deadline;
    /** The deadlines in force before each nested call; touched only by the guarded thread. */
    private long[] saved = new long[2];
    private int depth;

    private Guard(Thread thread) {
      this.thread = thread;
    }

    private void push(long callDeadline) {
      if (depth == saved.length) {
        saved = Arrays.copyOf(saved, depth * 2);
      }
      saved[depth] = deadline;
      if (depth++ == 0) {
        deadline = callDeadline;
        state.set(RUNNING);
      } else if (callDeadline - deadline < 0) {
        deadline = callDeadline;
      }
    }

    /** Interrupts the thread, on the watchdog, unless the deadline moved since it was read. */
    private void expire() {
      if (!state.compareAndSet(RUNNING, INTERRUPTING)) {
        return;
      }
      if (System.nanoTime() - deadline >= 0) {
        thread.interrupt();
        state.set(INTERRUPTED);
      } else {
        state.set(RUNNING); // an inner call finished and restored a later deadline
      }
    }

    /**
     * Ends the innermost guarded call; returns whether a deadline passed during it, in which case
     * the interrupt it caused has been cleared.
     */
    boolean finish() {
      depth--;
      int after = depth == 0 ? IDLE : RUNNING;
      if (depth > 0) {
        deadline = saved[depth]; // read by expire() after its CAS, so it backs off if now early
      }
      boolean timedOut = awaitSettled(after);
      if (after == RUNNING) {
        wakeBefore(deadline); // the outer call's deadline is watched again
      }
      return timedOut;
    }

    private boolean awaitSettled(int after) {
      while (true) {
        int s = state.get();
        if (s == RUNNING) {
          if (after == RUNNING || state.compareAndSet(RUNNING, IDLE)) {
            return false;
          }
        } else if (s == INTERRUPTED) {
          // Clears the interrupt this guard delivered, so it cannot leak to the caller.
          Thread.interrupted();
          state.set(after);
          return true;
        } else {
          Thread.onSpinWait();
        }
      }
    }
  }
}
