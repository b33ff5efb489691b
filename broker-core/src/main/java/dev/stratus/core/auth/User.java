package dev.stratus.core.auth;

import java.util.Objects;
import java.util.Set;

/**
 * A user of the broker.
 *
 * @param name the user name clients send in CONNECT
 * @param passwordHash a {@link PasswordHash} string, or null for a user who may only connect with a
 *     client certificate (no password accepted)
 * @param roles the roles ACL rules name
 */
public record User(String name, String passwordHash, Set<String> roles) {
  public User {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("a user name is not empty");
    }
    if (passwordHash != null && !PasswordHash.isHash(passwordHash)) {
      throw new IllegalArgumentException("passwordHash must be a PasswordHash string");
    }
    roles = Set.copyOf(roles);
    for (String r : roles) {
      if (r.isEmpty() || r.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("a role name is not empty and has no spaces: " + r);
      }
    }
  }
}
