package io.pledge.participant.xa;

/**
 * An XA call the database refused or could not answer. The message carries the XA error and the database's own
 * reason (the SQL cause), so that whoever reads the log or the abort reason knows what to fix.
 */
public final class XaResourceException extends RuntimeException {

  XaResourceException(String message, Throwable cause) {
    super(message, cause);
  }
}
