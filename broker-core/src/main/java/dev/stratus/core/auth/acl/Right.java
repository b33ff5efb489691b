package dev.stratus.core.auth.acl;

/** What an ACL rule allows or denies. */
public enum Right {
  /** Send PUBLISH to a topic (and set a will on it). */
  PUBLISH,
  /** Subscribe with a filter. */
  SUBSCRIBE,
  /** Be delivered a message on a topic, retained ones included. */
  RECEIVE;

  public String word() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
