package dev.stratus.core.store;

import dev.stratus.codec.TopicFilter;
import dev.stratus.codec.TopicName;
import dev.stratus.core.Message;
import java.util.List;

/** The retained message of each topic [MQTT-3.3.1-5]. Implementations are thread-safe. */
public interface RetainedStore {

  /**
   * Stores {@code message} as the retained message of its topic, replacing any, without an owner
   * (the broker's own messages, and every message while no per-user limit is set).
   */
  default void put(Message message) {
    put(message, null, 0);
  }

  /**
   * Stores {@code message} as the retained message of its topic, replacing any, owned by {@code
   * owner} ({@link Owners#of}; null: no owner), unless that would make {@code owner} own more than
   * {@code maxOwned} topics (0: no limit): then nothing changes and the result is false. Replacing
   * a topic the owner already owns never counts twice; the owner of the replaced message, if
   * another, owns one topic fewer. Each owner's count is exact except that concurrent puts of new
   * topics by one owner may each pass the limit check (at most one per concurrent put).
   */
  boolean put(Message message, String owner, long maxOwned);

  /**
   * Removes the retained message of the topic [MQTT-3.3.1-10]; true if there was one. Its owner, if
   * it had one, owns one topic fewer.
   */
  boolean remove(TopicName topic);

  /** The number of retained topics {@code owner} owns. */
  long ownedCount(String owner);

  /** The retained message of exactly this topic, or null. */
  Message get(TopicName topic);

  /**
   * The retained messages whose topic {@code filter} matches (wildcards included, the {@code
   * $share} prefix ignored), $-topics excluded from leading wildcards [MQTT-4.7.2-1]. Expired
   * messages may be returned; the engine skips them.
   */
  List<Message> match(TopicFilter filter);

  long count();

  /**
   * The retained messages whose topic is {@code prefix} or lies under it ({@code prefix/…}), all of
   * them for the empty prefix, at most {@code limit} (1..1000) per page, starting after {@code
   * cursor} (null for the first page). Within one first level they come in topic order (UTF-16 code
   * unit order), so a browser can group them level by level. Expired messages may be returned, as
   * by {@link #match}. A page may hold fewer than {@code limit} items while more follow: only
   * {@link Page#next} says the end.
   */
  Page<Message> list(String prefix, String cursor, int limit);
}
