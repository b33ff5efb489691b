package dev.stratus.bridge;

import java.nio.file.Path;

/**
 * The command line of {@code ./stratus bridge}, parsed and checked.
 *
 * @param tlsPort -1 unless TLS is on; TLS is on when a certificate and key are given (port 8883
 *     unless {@code --tls-port} says otherwise)
 */
public record BridgeOptions(
    String host,
    int tcpPort,
    int tlsPort,
    int wsPort,
    Path tlsCert,
    Path tlsKey,
    String store,
    boolean allowAnonymous,
    Path passwordFile,
    boolean help) {

  public static final String USAGE =
      """
      usage: stratus bridge [options]
        --host ADDRESS          address to bind (default 127.0.0.1)
        --tcp-port N            MQTT over TCP (default 1883)
        --tls-port N            MQTT over TLS (default 8883 when --tls-cert/--tls-key are given, else off)
        --ws-port N             MQTT over WebSocket at /mqtt (default 8080)
        --tls-cert FILE         PEM certificate chain, leaf first
        --tls-key FILE          PEM private key (PKCS#8 or PKCS#1 RSA, unencrypted)
        --store memory          where state lives (only 'memory' in this build)
        --allow-anonymous BOOL  accept clients without credentials (default true, for development)
        --password-file FILE    username:sha256hex lines; needed with --allow-anonymous false
        -h, --help              show this help
      A port of 0 picks a free port; a negative port disables that listener.""";

  /** A bad command line; the message is one line for stderr. */
  public static final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
      super(message);
    }
  }

  public static BridgeOptions parse(String... args) throws UsageException {
    String host = "127.0.0.1";
    int tcp = 1883;
    Integer tls = null;
    int ws = 8080;
    Path cert = null;
    Path key = null;
    String store = "memory";
    boolean anonymous = true;
    Path passwords = null;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return new BridgeOptions(host, tcp, -1, ws, null, null, store, anonymous, null, true);
      }
      String name = arg;
      String value;
      int eq = arg.indexOf('=');
      if (arg.startsWith("--") && eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else {
        if (i + 1 >= args.length) {
          throw new UsageException(
              arg.startsWith("--") ? arg + " needs a value" : "unexpected argument: " + arg);
        }
        value = args[++i];
      }
      switch (name) {
        case "--host" -> host = value;
        case "--tcp-port" -> tcp = port(name, value);
        case "--tls-port" -> tls = port(name, value);
        case "--ws-port" -> ws = port(name, value);
        case "--tls-cert" -> cert = Path.of(value);
        case "--tls-key" -> key = Path.of(value);
        case "--password-file" -> passwords = Path.of(value);
        case "--store" -> {
          if (!value.equals("memory")) {
            throw new UsageException("--store: only 'memory' is available in this build");
          }
          store = value;
        }
        case "--allow-anonymous" ->
            anonymous =
                switch (value) {
                  case "true" -> true;
                  case "false" -> false;
                  default -> throw new UsageException("--allow-anonymous: expected true or false");
                };
        default -> throw new UsageException("unknown option: " + name);
      }
    }
    if ((cert == null) != (key == null)) {
      throw new UsageException("--tls-cert and --tls-key go together");
    }
    int tlsPort;
    if (tls == null) {
      tlsPort = cert != null ? 8883 : -1;
    } else {
      tlsPort = tls;
      if (tlsPort >= 0 && cert == null) {
        throw new UsageException("--tls-port needs --tls-cert and --tls-key");
      }
    }
    if (!anonymous && passwords == null) {
      throw new UsageException("--allow-anonymous false needs --password-file");
    }
    if (anonymous && passwords != null) {
      throw new UsageException("--password-file needs --allow-anonymous false");
    }
    return new BridgeOptions(host, tcp, tlsPort, ws, cert, key, store, anonymous, passwords, false);
  }

  private static int port(String name, String value) throws UsageException {
    try {
      int port = Integer.parseInt(value);
      if (port > 65535) {
        throw new UsageException(name + ": " + value + " is not a port");
      }
      return port;
    } catch (NumberFormatException e) {
      throw new UsageException(name + ": " + value + " is not a number");
    }
  }
}
