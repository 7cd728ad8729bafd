package dev.custos.proxy.internal.authz;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelIssue;
import dev.cel.common.CelOptions;
import dev.cel.common.CelValidationException;
import dev.cel.common.CelValidationResult;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Authorization conditions in CEL (Common Expression Language): a boolean expression over two
 * variables, {@code request} and {@code principal}, both maps from string to dynamic values.
 *
 * <p>Cost is bounded: expressions are at most {@value #MAX_CHARS} code points and nest at most
 * {@value #MAX_DEPTH} deep, comprehensions ({@code all}, {@code exists}, {@code map}…) stop
 * after {@value #MAX_ITERATIONS} iterations, and {@code matches} uses RE2J (linear time).
 * Thread-safe; a compiled {@link Condition} is immutable and shared.
 */
public final class AuthzCel {
  static final int MAX_CHARS = 4096;
  static final int MAX_DEPTH = 32;
  static final int MAX_ITERATIONS = 1000;

  private static final CelOptions OPTIONS = CelOptions.current()
      .maxExpressionCodePointSize(MAX_CHARS)
      .maxParseRecursionDepth(MAX_DEPTH)
      .comprehensionMaxIterations(MAX_ITERATIONS)
      .build();
  private static final CelCompiler COMPILER = CelCompilerFactory.standardCelCompilerBuilder()
      .setOptions(OPTIONS)
      .addVar("request", MapType.create(SimpleType.STRING, SimpleType.DYN))
      .addVar("principal", MapType.create(SimpleType.STRING, SimpleType.DYN))
      .setResultType(SimpleType.BOOL)
      .build();
  private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder()
      .setOptions(OPTIONS)
      .build();

  private AuthzCel() {}

  /** A problem in an expression: 1-based line and 0-based column within it, and what it is. */
  public record Problem(int line, int column, String message) {}

  /** A compiled condition. Immutable and thread-safe. */
  public static final class Condition {
    private final CelRuntime.Program program;

    private Condition(CelRuntime.Program program) {
      this.program = program;
    }

    /**
     * Evaluates the condition.
     *
     * @throws CelEvaluationException if it fails (a missing key, a type error, too many
     *     iterations)
     */
    boolean test(Map<String, ?> vars) throws CelEvaluationException {
      return Boolean.TRUE.equals(program.eval(vars));
    }
  }

  /** Returns the problems of an expression; empty when it compiles to a boolean. */
  public static List<Problem> check(String expression) {
    CelValidationResult result = COMPILER.compile(expression);
    List<Problem> out = new ArrayList<>();
    for (CelIssue issue : result.getErrors()) {
      out.add(new Problem(Math.max(1, issue.getSourceLocation().getLine()),
          Math.max(0, issue.getSourceLocation().getColumn()), issue.getMessage()));
    }
    if (out.isEmpty() && result.hasError()) {
      out.add(new Problem(1, 0, "does not compile"));
    }
    return out;
  }

  /**
   * Compiles an expression.
   *
   * @throws IllegalArgumentException if it does not compile to a boolean
   */
  public static Condition compile(String expression) {
    try {
      CelAbstractSyntaxTree ast = COMPILER.compile(expression).getAst();
      return new Condition(RUNTIME.createProgram(ast));
    } catch (CelValidationException | CelEvaluationException e) {
      List<Problem> problems = check(expression);
      throw new IllegalArgumentException("when: " + (problems.isEmpty() ? "does not compile"
          : problems.get(0).message()) + " (expected: a CEL expression of type bool)");
    }
  }

  /** Returns a JSON value as CEL sees it: integers as long, other numbers as double. */
  static @Nullable Object value(@Nullable Object v) {
    if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue();
    }
    if (v instanceof Float || v instanceof java.math.BigDecimal) {
      return ((Number) v).doubleValue();
    }
    if (v instanceof java.math.BigInteger b) {
      return b.bitLength() < 64 ? (Object) b.longValue() : b.doubleValue();
    }
    if (v instanceof Long || v instanceof Double || v instanceof Boolean || v instanceof String
        || v == null) {
      return v;
    }
    if (v instanceof Map<?, ?> m) {
      Map<String, Object> out = new LinkedHashMap<>();
      m.forEach((k, x) -> {
        Object cv = value(x);
        if (cv != null) {
          out.put(String.valueOf(k), cv);
        }
      });
      return out;
    }
    if (v instanceof Iterable<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object x : list) {
        Object cv = value(x);
        if (cv != null) {
          out.add(cv);
        }
      }
      return out;
    }
    return String.valueOf(v);
  }
}
