package dev.stratus.bridge;

import dev.stratus.core.BrokerConfig;
import dev.stratus.core.auth.jwt.JwtSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;

/**
 * The command line of {@code ./stratus bridge}, parsed and checked.
 *
 * @param tlsPort -1 unless TLS is on; TLS is on when a certificate and key are given (port 8883
 *     unless {@code --tls-port} says otherwise)
 * @param maxQueuedMessages the engine's per-client queue of QoS 1/2 messages waiting for the
 *     in-flight window or for the client to come back; newer messages are dropped and counted
 * @param maxInflight the engine's outbound in-flight window for 3.1/3.1.1 clients (v5 clients
 *     announce their own Receive Maximum)
 * @param outboundSoftLimit queued outbound bytes per connection above which QoS 0 PUBLISH packets
 *     are dropped and counted
 * @param outboundHardLimit queued outbound bytes per connection above which it is closed
 * @param store {@code memory} (one bridge, state in this process) or {@code dynamodb} (shared)
 * @param dynamodbEndpoint the DynamoDB endpoint URL, or null for the environment's choice
 * @param tablePrefix the table name prefix, or null for {@code STRATUS_TABLE_PREFIX} / the default
 * @param internalPort the internal {@code @connections} endpoint's port (0 = a free one); -1 with
 *     the memory store, where no other process delivers
 * @param allowAnonymous true only when {@code --allow-anonymous true} (or the bare flag) was given:
 *     clients without credentials are then accepted
 * @param tlsClientCa PEM bundle of the certificate authorities whose client certificates the TLS
 *     listener accepts, or null
 * @param clientCertificates whether the TLS listener asks for client certificates and which field
 *     of a verified one names the user
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
    int maxQueuedMessages,
    int maxInflight,
    int outboundSoftLimit,
    int outboundHardLimit,
    String dynamodbEndpoint,
    String tablePrefix,
    int internalPort,
    Path tlsClientCa,
    ClientCertificates clientCertificates,
    SecurityOptions security,
    boolean help) {

  /**
   * Where users and ACL rules come from and the limits (docs/security.md, "Configure each edge").
   *
   * @param usersFromDynamodb {@code --users dynamodb}: password users (and certificate users'
   *     roles) from the users table
   * @param aclFile {@code --acl-file}, or null
   * @param aclFromDynamodb {@code --acl-store dynamodb}: rules from the acl table, reread every 30
   *     s
   * @param jwt {@code --jwt-...}: bearer tokens accepted, or null
   * @param maxPublishRate {@code --max-publish-rate}: publishes per second per connection, 0 = off
   * @param publishBurst the token bucket's size
   * @param maxConnectionsPerUser {@code --max-connections-per-user}, 0 = off
   */
  public record SecurityOptions(
      boolean usersFromDynamodb,
      Path aclFile,
      boolean aclFromDynamodb,
      JwtSettings jwt,
      int maxPublishRate,
      int publishBurst,
      int maxConnectionsPerUser) {
    static final SecurityOptions NONE =
        new SecurityOptions(false, null, false, null, 0, DEFAULT_PUBLISH_BURST, 0);

    /** Whether clients can authenticate other than with a password file or a certificate. */
    boolean authenticates() {
      return usersFromDynamodb || jwt != null;
    }
  }

  /** The engine's default bucket size when {@code --max-publish-rate} gives no burst. */
  static final int DEFAULT_PUBLISH_BURST = BrokerConfig.defaults().publishBurst();

  /**
   * 10,000: an online subscriber rides out a burst of that many QoS 1/2 messages beyond its
   * in-flight window. The engine's own default (1,000, like Mosquitto's max_queued_messages) drops
   * a burst of a few thousand even for a client that is connected and reading; queued entries
   * reference the message, which is stored once.
   */
  public static final int DEFAULT_MAX_QUEUED_MESSAGES = 10_000;

  /** The engine's default: 100 QoS 1/2 messages in flight to a 3.1.1 client. */
  public static final int DEFAULT_MAX_INFLIGHT = 100;

  public static final String USAGE =
      """
      usage: stratus bridge [options]
        --host ADDRESS          address to bind (default 127.0.0.1)
        --tcp-port N            MQTT over TCP (default 1883)
        --tls-port N            MQTT over TLS (default 8883 when --tls-cert/--tls-key are given, else off)
        --ws-port N             MQTT over WebSocket at /mqtt (default 8080)
        --tls-cert FILE         PEM certificate chain, leaf first
        --tls-key FILE          PEM private key (PKCS#8 or PKCS#1 RSA, unencrypted)
        --store memory|dynamodb where state lives: 'memory' (this process, the default) or
                                'dynamodb' (shared by every bridge task and function)
        --dynamodb-endpoint URL DynamoDB endpoint (default: AWS_ENDPOINT_URL_DYNAMODB, then
                                AWS_ENDPOINT_URL, then AWS itself)
        --table-prefix P        table names are P + sessions, ... (default: STRATUS_TABLE_PREFIX,
                                else stratus-)
        --internal-port N       the internal @connections endpoint other processes deliver to
                                this task's connections through (dynamodb only; default 0, free)
        --tls-client-ca FILE    PEM bundle of the CAs whose client certificates the TLS listener
                                accepts (mTLS); a verified certificate authenticates its client
        --tls-client-auth none|optional|required
                                ask TLS clients for a certificate (default: required when
                                --tls-client-ca is given, else none)
        --tls-user-from cn|san-email|san-dns|subject
                                the certificate field that becomes the user name (default cn)
        --allow-anonymous true|false
                                accept clients without credentials (default false; the bare flag
                                means true). Without any way to authenticate (below) the bridge
                                refuses to start unless this is true (development only)
        --users dynamodb        password users (and certificate users' roles) from the users table
                                (./stratus users add; needs --store dynamodb)
        --password-file FILE    username:HASH lines, HASH from --hash-password (pbkdf2-sha512$...)
                                or, still read for compatibility, the hex SHA-256 of the password
        --jwt-jwks-url URL --jwt-issuer ISS --jwt-audience AUD[,AUD...]
                                accept JWT bearer tokens (RS256/ES256) in the password field,
                                verified against the issuer's JWKS; exp, iss and aud checked
        --jwt-cognito REGION/POOL_ID --jwt-audience APP_CLIENT_ID[,...]
                                the same for an Amazon Cognito user pool
        --acl-file FILE         ACL rules (docs/security.md, "The ACL file")
        --acl-store dynamodb    ACL rules from the acl table (./stratus acl add), reread every 30 s;
                                with neither ACL option every client may use every topic but $...
        --max-publish-rate N[/BURST]
                                PUBLISH packets per second per connection, BURST at once (default
                                off; burst 1000); beyond it v5 DISCONNECT 0x96, 3.1.1 close
        --max-connections-per-user N
                                live connections one user may hold (default off); CONNACK 0x97
        --hash-password         read a password from stdin, print its hash for --password-file
                                or a users table, and exit
        --max-queued-messages N QoS 1/2 messages queued per client beyond its in-flight window,
                                online or offline; newer ones are dropped and counted (default 10000)
        --max-inflight N        QoS 1/2 messages in flight to a 3.1.1 client (default 100; v5 clients
                                set their own Receive Maximum)
        --outbound-soft-limit SIZE  queued bytes per connection above which QoS 0 messages to it
                                are dropped and counted (default 1m)
        --outbound-hard-limit SIZE  queued bytes per connection above which it is closed; its
                                session keeps QoS 1/2 messages (default 8m)
        -h, --help              show this help
      A port of 0 picks a free port; a negative port disables that listener. SIZE is bytes, or
      with a suffix k or m (KiB, MiB).""";

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
    Boolean anonymous = null;
    Path passwords = null;
    Path clientCa = null;
    ClientCertificates.Mode clientAuth = null;
    ClientCertificates.UserFrom userFrom = null;
    int maxQueued = DEFAULT_MAX_QUEUED_MESSAGES;
    int maxInflight = DEFAULT_MAX_INFLIGHT;
    int soft = BridgeConfig.DEFAULT_OUTBOUND_SOFT_LIMIT;
    int hard = BridgeConfig.DEFAULT_OUTBOUND_HARD_LIMIT;
    String endpoint = null;
    String prefix = null;
    Integer internal = null;
    String users = null;
    Path aclFile = null;
    String aclStore = null;
    String jwksUrl = null;
    String issuer = null;
    String audience = null;
    String cognito = null;
    int[] publishRate = {0, DEFAULT_PUBLISH_BURST};
    int maxConnectionsPerUser = 0;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        return new BridgeOptions(
            host,
            tcp,
            -1,
            ws,
            null,
            null,
            store,
            false,
            null,
            maxQueued,
            maxInflight,
            soft,
            hard,
            null,
            null,
            -1,
            null,
            ClientCertificates.NONE,
            SecurityOptions.NONE,
            true);
      }
      String name = arg;
      String value;
      int eq = arg.indexOf('=');
      if (arg.equals("--allow-anonymous")
          && (i + 1 >= args.length || args[i + 1].startsWith("-"))) {
        anonymous = true; // the bare flag, as in earlier versions of this command line
        continue;
      }
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
        case "--tls-client-ca" -> clientCa = Path.of(value);
        case "--tls-client-auth" ->
            clientAuth =
                switch (value) {
                  case "none" -> ClientCertificates.Mode.NONE;
                  case "optional" -> ClientCertificates.Mode.OPTIONAL;
                  case "required" -> ClientCertificates.Mode.REQUIRED;
                  default ->
                      throw new UsageException(
                          "--tls-client-auth: expected none, optional or required");
                };
        case "--tls-user-from" ->
            userFrom =
                switch (value) {
                  case "cn" -> ClientCertificates.UserFrom.CN;
                  case "san-email" -> ClientCertificates.UserFrom.SAN_EMAIL;
                  case "san-dns" -> ClientCertificates.UserFrom.SAN_DNS;
                  case "subject" -> ClientCertificates.UserFrom.SUBJECT;
                  default ->
                      throw new UsageException(
                          "--tls-user-from: expected cn, san-email, san-dns or subject");
                };
        case "--max-queued-messages" -> maxQueued = count(name, value, 0);
        case "--max-inflight" -> maxInflight = count(name, value, 1);
        case "--outbound-soft-limit" -> soft = size(name, value);
        case "--outbound-hard-limit" -> hard = size(name, value);
        case "--store" -> {
          if (!value.equals("memory") && !value.equals("dynamodb")) {
            throw new UsageException("--store: expected memory or dynamodb");
          }
          store = value;
        }
        case "--dynamodb-endpoint" -> {
          try {
            java.net.URI u = new java.net.URI(value);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())
                || u.getHost() == null) {
              throw new UsageException("--dynamodb-endpoint: expected an http(s) URL");
            }
          } catch (java.net.URISyntaxException e) {
            throw new UsageException("--dynamodb-endpoint: " + e.getMessage());
          }
          endpoint = value;
        }
        case "--table-prefix" -> {
          if (!value.matches("[A-Za-z0-9_.-]{1,200}")) {
            throw new UsageException(
                "--table-prefix: letters, digits, '_', '-' and '.' only (DynamoDB table names)");
          }
          prefix = value;
        }
        case "--internal-port" -> internal = port(name, value);
        case "--users" -> users = dynamodbOnly(name, value);
        case "--acl-store" -> aclStore = dynamodbOnly(name, value);
        case "--acl-file" -> aclFile = Path.of(value);
        case "--jwt-jwks-url" -> jwksUrl = value;
        case "--jwt-issuer" -> issuer = value;
        case "--jwt-audience" -> audience = value;
        case "--jwt-cognito" -> cognito = value;
        case "--max-publish-rate" -> publishRate = rate(name, value);
        case "--max-connections-per-user" -> maxConnectionsPerUser = count(name, value, 0);
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
    if (clientCa != null && cert == null) {
      throw new UsageException("--tls-client-ca needs --tls-cert and --tls-key (the TLS listener)");
    }
    if (clientCa == null && clientAuth != null && clientAuth != ClientCertificates.Mode.NONE) {
      throw new UsageException(
          "--tls-client-auth " + value(clientAuth) + " needs --tls-client-ca FILE");
    }
    if (clientCa != null && clientAuth == ClientCertificates.Mode.NONE) {
      throw new UsageException(
          "--tls-client-ca asks for client certificates: drop it, or use"
              + " --tls-client-auth optional|required");
    }
    if (userFrom != null && clientCa == null) {
      throw new UsageException("--tls-user-from needs --tls-client-ca FILE");
    }
    ClientCertificates clientCertificates =
        clientCa == null
            ? ClientCertificates.NONE
            : new ClientCertificates(
                clientAuth == null ? ClientCertificates.Mode.REQUIRED : clientAuth,
                userFrom == null ? ClientCertificates.UserFrom.CN : userFrom);
    if (hard < soft) {
      throw new UsageException("--outbound-hard-limit must not be below --outbound-soft-limit");
    }
    boolean shared = store.equals("dynamodb");
    if (!shared && (endpoint != null || prefix != null || internal != null)) {
      throw new UsageException(
          "--dynamodb-endpoint, --table-prefix and --internal-port need --store dynamodb");
    }
    if (internal != null && internal < 0) {
      throw new UsageException("--internal-port: the dynamodb store needs the internal endpoint");
    }
    int internalPort = shared ? (internal == null ? 0 : internal) : -1;
    if (!shared && (users != null || aclStore != null)) {
      throw new UsageException(
          "--users dynamodb and --acl-store dynamodb need --store dynamodb (the tables)");
    }
    JwtSettings jwt = jwt(jwksUrl, issuer, audience, cognito);
    return new BridgeOptions(
        host,
        tcp,
        tlsPort,
        ws,
        cert,
        key,
        store,
        Boolean.TRUE.equals(anonymous),
        passwords,
        maxQueued,
        maxInflight,
        soft,
        hard,
        endpoint,
        prefix,
        internalPort,
        clientCa,
        clientCertificates,
        new SecurityOptions(
            users != null,
            aclFile,
            aclStore != null,
            jwt,
            publishRate[0],
            publishRate[1],
            maxConnectionsPerUser),
        false);
  }

  /**
   * Why this command line would run a broker that accepts anyone without being asked to, as one
   * line for stderr; null when clients must authenticate (a password file or client certificates)
   * or anonymous access was asked for explicitly.
   */
  public String authenticationProblem() {
    if (help
        || allowAnonymous
        || passwordFile != null
        || tlsClientCa != null
        || security.authenticates()) {
      return null;
    }
    return "no client authentication configured: give --users dynamodb, --password-file FILE,"
        + " --jwt-..., and/or --tls-client-ca FILE, or --allow-anonymous true to accept anyone"
        + " (development only)";
  }

  private static String dynamodbOnly(String name, String value) throws UsageException {
    if (!value.equals("dynamodb")) {
      throw new UsageException(name + ": expected dynamodb");
    }
    return value;
  }

  /** {@code N} or {@code N/BURST}, publishes per second and the bucket size; 0 turns it off. */
  private static int[] rate(String name, String value) throws UsageException {
    int slash = value.indexOf('/');
    int perSecond = count(name, slash < 0 ? value : value.substring(0, slash), 0);
    int burst = slash < 0 ? DEFAULT_PUBLISH_BURST : count(name, value.substring(slash + 1), 1);
    return new int[] {perSecond, burst};
  }

  /**
   * The JWT settings from {@code --jwt-jwks-url URL --jwt-issuer ISS --jwt-audience AUD} or {@code
   * --jwt-cognito REGION/POOL_ID --jwt-audience CLIENT_ID}; null when none is given.
   */
  static JwtSettings jwt(String jwksUrl, String issuer, String audience, String cognito)
      throws UsageException {
    if (jwksUrl == null && issuer == null && audience == null && cognito == null) {
      return null;
    }
    if (audience == null || audience.isBlank()) {
      // a token minted for another application of the same issuer must not open the broker
      throw new UsageException(
          "--jwt-audience AUD is required with --jwt-jwks-url or --jwt-cognito (the accepted"
              + " audience or Cognito app client id)");
    }
    List<String> audiences = List.of(audience.split(","));
    if (cognito != null) {
      if (jwksUrl != null || issuer != null) {
        throw new UsageException(
            "--jwt-cognito sets the issuer and key URL itself: drop --jwt-jwks-url/--jwt-issuer");
      }
      String[] parts = cognito.split("/", -1);
      if (parts.length != 2
          || !parts[0].matches("[a-z]{2}(-[a-z]+)+-[0-9]")
          || !parts[1].matches(java.util.regex.Pattern.quote(parts[0]) + "_[0-9A-Za-z]+")) {
        throw new UsageException(
            "--jwt-cognito: expected REGION/POOL_ID, e.g. eu-west-1/eu-west-1_AbCdEf123");
      }
      return JwtSettings.cognito(parts[0], parts[1], audiences);
    }
    if (jwksUrl == null || issuer == null) {
      throw new UsageException(
          "--jwt-jwks-url URL and --jwt-issuer ISS go together (or use --jwt-cognito)");
    }
    URI url;
    try {
      url = new URI(jwksUrl);
    } catch (URISyntaxException e) {
      throw new UsageException("--jwt-jwks-url: " + e.getMessage());
    }
    if (!"https".equals(url.getScheme()) && !"http".equals(url.getScheme())
        || url.getHost() == null) {
      throw new UsageException("--jwt-jwks-url: expected an http(s) URL");
    }
    return JwtSettings.of(url, issuer, audiences);
  }

  private static String value(ClientCertificates.Mode mode) {
    return mode.name().toLowerCase(java.util.Locale.ROOT);
  }

  private static int count(String name, String value, int min) throws UsageException {
    try {
      int n = Integer.parseInt(value);
      if (n < min) {
        throw new UsageException(name + ": must be at least " + min);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new UsageException(name + ": " + value + " is not a number");
    }
  }

  /** Bytes, or KiB / MiB with a k / m suffix; at least 1 and below 2 GiB. */
  private static int size(String name, String value) throws UsageException {
    String digits = value;
    long unit = 1;
    if (value.endsWith("k") || value.endsWith("K")) {
      unit = 1024;
    } else if (value.endsWith("m") || value.endsWith("M")) {
      unit = 1024 * 1024;
    }
    if (unit > 1) {
      digits = value.substring(0, value.length() - 1);
    }
    try {
      long bytes = Long.parseLong(digits) * unit;
      if (bytes < 1 || bytes > Integer.MAX_VALUE) {
        throw new UsageException(name + ": " + value + " is out of range (1 byte to 2047m)");
      }
      return (int) bytes;
    } catch (NumberFormatException e) {
      throw new UsageException(name + ": " + value + " is not a size (bytes, or with k or m)");
    }
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
