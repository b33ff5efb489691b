package dev.stratus.core.store;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/** Walks a paged listing to its end, checking the bounds every page must keep. */
final class Paging {
  private Paging() {}

  static <T> List<T> all(BiFunction<String, Integer, Page<T>> list, int limit) {
    List<T> out = new ArrayList<>();
    String cursor = null;
    for (int pages = 0; ; pages++) {
      assertTrue(pages < 10_000, "the listing never ends");
      Page<T> page = list.apply(cursor, limit);
      assertTrue(page.items().size() <= limit, "page larger than its limit: " + page.items());
      out.addAll(page.items());
      if (!page.hasMore()) {
        return out;
      }
      cursor = page.next();
    }
  }

  static void rejectsBadLimits(BiFunction<String, Integer, Page<?>> list) {
    assertThrows(IllegalArgumentException.class, () -> list.apply(null, 0));
    assertThrows(IllegalArgumentException.class, () -> list.apply(null, 1001));
  }
}
