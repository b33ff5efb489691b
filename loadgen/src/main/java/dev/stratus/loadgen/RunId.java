package dev.stratus.loadgen;

import java.util.concurrent.ThreadLocalRandom;

/**
 * A short random id in every topic and client id of a run, so that two runs against one broker (or
 * a run and a leftover session) never see each other's messages.
 */
final class RunId {
  private RunId() {}

  static String next() {
    return Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
  }
}
