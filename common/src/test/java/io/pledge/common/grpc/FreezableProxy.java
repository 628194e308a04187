package io.pledge.common.grpc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy on loopback that can be frozen the way {@code SIGSTOP} freezes a server: while frozen, connections are
 * still accepted by the kernel and bytes sent to it are buffered, but nothing is read, forwarded or answered; thawed,
 * everything buffered flows on. Threads are plain daemons: this is test scaffolding, not a server.
 */
final class FreezableProxy implements AutoCloseable {

  private final ServerSocket listener;
  private final int target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final Object gate = new Object();
  private volatile boolean frozen;
  private volatile boolean closed;

  FreezableProxy(int targetPort) throws IOException {
    this.target = targetPort;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("proxy-accept", this::acceptLoop);
  }

  int port() {
    return listener.getLocalPort();
  }

  void freeze() {
    frozen = true;
  }

  void thaw() {
    synchronized (gate) {
      frozen = false;
      gate.notifyAll();
    }
  }

  private void awaitThawed() throws InterruptedException {
    synchronized (gate) {
      while (frozen && !closed) {
        gate.wait();
      }
    }
  }

  private void acceptLoop() {
    try {
      while (!closed) {
        awaitThawed(); // frozen: connections wait in the kernel's backlog, as they do for a stopped process
        Socket client = listener.accept();
        Socket server = new Socket(InetAddress.getLoopbackAddress(), target);
        sockets.add(client);
        sockets.add(server);
        daemon("proxy-up", () -> pump(client, server));
        daemon("proxy-down", () -> pump(server, client));
      }
    } catch (IOException | InterruptedException e) {
      // closed
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      while (true) {
        awaitThawed();
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        awaitThawed(); // bytes read just before a freeze are held back too
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException | InterruptedException e) {
      // one side closed
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  @Override
  public void close() {
    closed = true;
    thaw();
    closeQuietly(listener);
    sockets.forEach(FreezableProxy::closeQuietly);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // closing anyway
    }
  }

  private static void daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    t.start();
  }
}
