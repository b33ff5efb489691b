package dev.stratus.core.store;

import java.util.List;
import java.util.Objects;

/**
 * One bounded page of a listing (the admin API's read side). A listing never reads more than the
 * limit it was given per call, so a console refresh costs the same whatever the size of the store.
 *
 * @param items what this page holds, in the store's listing order
 * @param next an opaque cursor to pass back for the following page, or null when this is the last
 */
public record Page<T>(List<T> items, String next) {
  public Page {
    items = List.copyOf(Objects.requireNonNull(items, "items"));
  }

  public boolean hasMore() {
    return next != null;
  }

  /** Checks a page size given to a listing method. */
  public static int checkLimit(int limit) {
    if (limit < 1 || limit > 1000) {
      throw new IllegalArgumentException("limit must be 1..1000, was " + limit);
    }
    return limit;
  }
}
