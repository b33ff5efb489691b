package dev.stratus.core.store.memory;

import dev.stratus.core.store.Page;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Pages a snapshot of an in-memory store by a string key. The cursor is the key of the last item
 * returned, so a listing resumes correctly even when items are added or removed between pages.
 */
final class MemoryPages {
  /** Orders strings by Unicode code point, the order DynamoDB gives UTF-8 sort keys. */
  static final Comparator<String> CODE_POINT_ORDER =
      (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
          int ca = a.codePointAt(i);
          int cb = b.codePointAt(j);
          if (ca != cb) {
            return Integer.compare(ca, cb);
          }
          i += Character.charCount(ca);
          j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
      };

  private MemoryPages() {}

  static <T> Page<T> page(Stream<T> items, Function<T, String> key, String cursor, int limit) {
    Page.checkLimit(limit);
    List<T> sorted =
        items
            .filter(t -> cursor == null || CODE_POINT_ORDER.compare(key.apply(t), cursor) > 0)
            .sorted(Comparator.comparing(key, CODE_POINT_ORDER))
            .limit(limit + 1L)
            .toList();
    if (sorted.size() <= limit) {
      return new Page<>(sorted, null);
    }
    List<T> items2 = new ArrayList<>(sorted.subList(0, limit));
    return new Page<>(items2, key.apply(items2.get(limit - 1)));
  }
}
