package dev.stratus.loadgen;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A process's resident memory, from Linux's {@code /proc/PID/status}. */
final class ProcessMemory {
  private ProcessMemory() {}

  /** VmRSS of {@code pid} in KiB (the kernel writes "kB" and means 1024 bytes). */
  static long rssKib(long pid) throws IOException {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    if (!Files.isReadable(status)) {
      throw new IOException("cannot read " + status + ": is " + pid + " a running process?");
    }
    for (String line : Files.readAllLines(status)) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.substring("VmRSS:".length()).replace("kB", "").trim());
      }
    }
    throw new IOException(status + " has no VmRSS line");
  }
}
