package dev.stratus.core.store;

/**
 * The principal that owns a session or a retained message, as the stores record it: {@code
 * user:<name>} for an authenticated user name, {@link #ANONYMOUS} for every anonymous client
 * together (they share one principal, docs/security.md). The prefix keeps a user who happens to be
 * called {@code anonymous} apart from anonymous clients.
 */
public final class Owners {
  /** All anonymous clients. */
  public static final String ANONYMOUS = "anonymous";

  private Owners() {}

  /** The owner key of a principal's user name, null meaning anonymous. */
  public static String of(String username) {
    return username == null ? ANONYMOUS : "user:" + username;
  }
}
