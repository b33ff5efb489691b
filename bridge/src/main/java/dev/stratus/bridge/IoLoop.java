package dev.stratus.bridge;

import java.io.IOException;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * One selector thread watching many non-blocking sockets. It does no I/O and runs no engine code
 * itself: when a socket is readable or writable it clears that interest and tells the {@link
 * ChannelConnection}, which starts a virtual thread for the work and asks for the interest again
 * when it is done ({@link #interest}). So a socket is never read by two threads at once, a busy
 * client is not read again until its packets have been handled (TCP flow control then slows it
 * down), and the selector thread never waits on the engine.
 *
 * <p>The bridge runs one loop per available processor; connections are spread over them.
 */
final class IoLoop implements Runnable, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(IoLoop.class.getName());

  private final Selector selector;
  private final Thread thread;

  IoLoop(String name) throws IOException {
    this.selector = Selector.open();
    this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this);
  }

  void start() {
    thread.start();
  }

  /** Registers a non-blocking channel with no interest yet; its connection arms it later. */
  SelectionKey register(SocketChannel channel, ChannelConnection connection) throws IOException {
    // Since JDK 11 registering does not wait for a select in progress.
    return channel.register(selector, 0, connection);
  }

  /**
   * Adds {@code op} to the key's interest set. Takes effect at the selector's next select, so the
   * selector is woken.
   */
  void interest(SelectionKey key, int op) {
    try {
      key.interestOpsOr(op);
      selector.wakeup();
    } catch (CancelledKeyException closed) {
      // The socket was closed meanwhile: nothing to watch any more.
    }
  }

  /** Wakes the selector so that it releases the keys (and file descriptors) of closed sockets. */
  void wakeup() {
    selector.wakeup();
  }

  @Override
  public void run() {
    try {
      while (selector.isOpen()) {
        selector.select(this::ready);
      }
    } catch (ClosedSelectorException closed) {
      // The bridge closed.
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, thread.getName() + " stopped", e);
    }
  }

  private void ready(SelectionKey key) {
    try {
      int ready = key.readyOps();
      // Level-triggered: without clearing the interest the selector would report the same socket
      // again and again until the virtual thread has read or written it.
      key.interestOpsAnd(~ready);
      ChannelConnection connection = (ChannelConnection) key.attachment();
      if ((ready & SelectionKey.OP_READ) != 0) {
        connection.readable();
      }
      if ((ready & SelectionKey.OP_WRITE) != 0) {
        connection.writable();
      }
    } catch (CancelledKeyException closed) {
      // Closed between the select and now: the close path reports it to the engine.
    } catch (RuntimeException e) {
      // Never let one connection end the loop: every other socket on this selector would stall.
      LOG.log(System.Logger.Level.ERROR, thread.getName() + ": " + key.attachment(), e);
    }
  }

  @Override
  public void close() {
    try {
      selector.close();
    } catch (IOException ignored) {
      // Closing a selector cannot usefully fail.
    }
  }
}
