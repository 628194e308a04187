package io.pledge.lock.transport;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Paging of the List rpc: page sizes, name prefixes and page tokens. A token is the last name of the previous page,
 * base64url-encoded: opaque to callers, stateless here (any member of the cluster continues any listing), and
 * checked on the way back in. Throws {@link IllegalArgumentException} with a message for the caller.
 */
public final class LockPages {

  public static final int DEFAULT_PAGE_SIZE = 100;
  public static final int MAX_PAGE_SIZE = 1000;

  private LockPages() {}

  public static int pageSize(int requested) {
    if (requested < 0 || requested > MAX_PAGE_SIZE) {
      throw new IllegalArgumentException("page_size " + requested + " is out of range 0.." + MAX_PAGE_SIZE
          + " (0 means " + DEFAULT_PAGE_SIZE + ")");
    }
    return requested == 0 ? DEFAULT_PAGE_SIZE : requested;
  }

  /** An empty prefix lists every lock; otherwise the rules of a lock name, but it may be blank-free and short. */
  public static String prefix(String prefix) {
    return prefix == null || prefix.isEmpty() ? "" : RequestLimits.id("prefix", prefix);
  }

  public static String token(String lastName) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(lastName.getBytes(StandardCharsets.UTF_8));
  }

  /** The name a listing continues after: empty for the first page. */
  public static String after(String token, String prefix) {
    if (token == null || token.isEmpty()) {
      return "";
    }
    String name;
    try {
      name = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
      RequestLimits.id("page_token", name);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("page_token '" + abbreviate(token) + "' is not one this service issued");
    }
    if (!name.startsWith(prefix)) {
      throw new IllegalArgumentException("page_token '" + abbreviate(token) + "' belongs to another listing: pass"
          + " the same prefix as for the first page");
    }
    return name;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
