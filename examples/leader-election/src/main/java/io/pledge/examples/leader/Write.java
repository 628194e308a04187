package io.pledge.examples.leader;

import java.util.regex.Pattern;

/**
 * A write a worker asks the ledger to append: who writes, under which fencing token, and the writer's own sequence
 * number (1, 2, ... per reign), validated here so that nothing malformed reaches the log.
 */
public record Write(String writer, long token, long seq) {

  /** Writer names are what workers call themselves: {@code worker-2}. */
  public static final Pattern WRITER = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  public Write {
    if (writer == null || !WRITER.matcher(writer).matches()) {
      throw new IllegalArgumentException("writer must be 1 to 64 characters of letters, digits, '.', '_' or '-'");
    }
    if (token <= 0) {
      throw new IllegalArgumentException("token must be a positive fencing token, got " + token);
    }
    if (seq <= 0) {
      throw new IllegalArgumentException("seq must be positive, got " + seq);
    }
  }

  /** The entry's text in the ledger. */
  public String text() {
    return writer + " write " + seq;
  }
}
