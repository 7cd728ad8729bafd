package dev.custos.engine.internal.policy;

import java.util.List;

/** Carries problems found while reading a policy up to {@link PolicyParser}, which reports them. */
final class ProblemsException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final transient List<Problem> problems;

  ProblemsException(List<Problem> problems) {
    super(problems.size() + " problems", null, false, false);
    this.problems = List.copyOf(problems);
  }

  ProblemsException(Problem problem) {
    this(List.of(problem));
  }

  List<Problem> problems() {
    return problems;
  }
}
