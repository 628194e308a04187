package io.pledge.admin;

import com.google.protobuf.MessageOrBuilder;
import io.pledge.common.config.ConfigKey;
import io.pledge.common.grpc.Endpoint;
import io.pledge.common.grpc.RpcException;
import io.pledge.common.tls.TlsOptions;
import io.vertx.core.http.ClientAuth;
import java.io.BufferedReader;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code pledge-admin} command: global options and the {@code tx} and {@code locks} commands. Exit codes: 0 done,
 * 1 refused or failed (the server's gRPC status and message on stderr), 2 usage.
 */
@Command(name = "pledge-admin", mixinStandardHelpOptions = true, version = "pledge-admin 0.1.0",
    sortOptions = false, usageHelpAutoWidth = true,
    description = "List, inspect and resolve stuck Pledge transactions by hand; list and inspect locks.",
    subcommands = {TxCommands.class, LockCommands.class, ClusterCommands.class},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:done", "1:refused or failed (the server's status and message on stderr)", "2:usage error"})
public final class AdminCli implements Runnable {

  public static final String DEFAULT_COORDINATOR = "127.0.0.1:7400";
  public static final String DEFAULT_LOCKS = "127.0.0.1:7600";
  public static final String COORDINATOR_ENV = "PLEDGE_ADMIN_COORDINATOR";
  public static final String LOCKS_ENV = "PLEDGE_ADMIN_LOCKS";

  /**
   * Where a run reads and writes: the console in {@link AdminMain}, strings in tests.
   *
   * @param interactive whether {@code in} is a person at a terminal (resolve asks for confirmation only then)
   */
  public record Io(BufferedReader in, boolean interactive, PrintWriter out, PrintWriter err, Map<String, String> env,
      Clock clock) {
    public Io {
      Objects.requireNonNull(in);
      Objects.requireNonNull(out);
      Objects.requireNonNull(err);
      env = Map.copyOf(env);
      Objects.requireNonNull(clock);
    }
  }

  @Option(names = "--coordinator", paramLabel = "HOST:PORT[,HOST:PORT...]", scope = ScopeType.INHERIT,
      converter = EndpointArg.class, split = ",", description = "the coordinator's gRPC endpoint, or every member of a"
          + " coordinator cluster (calls go to its leader) (default: ${DEFAULT-VALUE}, or $" + COORDINATOR_ENV + ")")
  List<Endpoint> coordinator;

  @Option(names = "--locks", paramLabel = "HOST:PORT", scope = ScopeType.INHERIT, converter = EndpointArg.class,
      description = "the lock service's gRPC endpoint (default: ${DEFAULT-VALUE}, or $" + LOCKS_ENV + ")")
  Endpoint locks;

  @Option(names = "--json", scope = ScopeType.INHERIT, description = "print results as JSON (protobuf JSON mapping)")
  boolean json;

  @Option(names = "--timeout", paramLabel = "DURATION", scope = ScopeType.INHERIT, defaultValue = "10s",
      converter = DurationArg.class, description = "deadline of each call, e.g. 500ms, 10s, 1m (default: ${DEFAULT-VALUE})")
  Duration timeout;

  @Option(names = "--tls-cert", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "PEM certificate of the operator, for servers that require client certificates (mutual TLS)")
  java.nio.file.Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "PEM private key of --tls-cert")
  java.nio.file.Path tlsKey;

  @Option(names = "--tls-ca", paramLabel = "FILE", scope = ScopeType.INHERIT,
      description = "PEM certificate of the CA the servers' certificates are checked against; turns TLS on")
  java.nio.file.Path tlsCa;

  @Spec
  CommandSpec spec;

  private Io io;

  /** For picocli; {@link #run(Io, String...)} sets the I/O. */
  public AdminCli() {}

  /** Runs one command line and returns its exit code. */
  public static int run(Io io, String... args) {
    AdminCli root = new AdminCli();
    root.io = io;
    CommandLine cl = new CommandLine(root).setOut(io.out()).setErr(io.err()).setCaseInsensitiveEnumValuesAllowed(true);
    cl.setDefaultValueProvider(arg -> arg instanceof OptionSpec o ? switch (o.longestName()) {
      case "--coordinator" -> io.env().getOrDefault(COORDINATOR_ENV, DEFAULT_COORDINATOR);
      case "--locks" -> io.env().getOrDefault(LOCKS_ENV, DEFAULT_LOCKS);
      default -> null;
    } : null);
    cl.setExecutionExceptionHandler((e, command, parsed) -> {
      // GrpcStatus prints as its number: the name is what people and scripts look for.
      String message = e instanceof RpcException r ? r.status().name() + ": " + r.detail()
          : e instanceof Refused ? e.getMessage() : "failed: " + e;
      command.getErr().println("pledge-admin: " + message);
      return 1;
    });
    try {
      return cl.execute(args);
    } finally {
      io.out().flush();
      io.err().flush();
    }
  }

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a command is needed: tx, locks or cluster");
  }

  Io io() {
    return io;
  }

  AdminClient client() {
    return new AdminClient(timeout, tls());
  }

  /** TLS as the --tls-* options set it; empty (plaintext) without --tls-ca. */
  java.util.Optional<TlsOptions> tls() {
    if (tlsCa == null) {
      if (tlsCert != null || tlsKey != null) {
        throw new ParameterException(spec.commandLine(), "--tls-cert and --tls-key need --tls-ca");
      }
      return java.util.Optional.empty();
    }
    try {
      return java.util.Optional.of(new TlsOptions(java.util.Optional.ofNullable(tlsCert),
          java.util.Optional.ofNullable(tlsKey), tlsCa, ClientAuth.NONE,
          TlsOptions.RELOAD_INTERVAL.defaultValue()));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--tls-cert and --tls-key go together: give both or neither");
    }
  }

  /** A read-only command: fetches with a client, prints what it got as JSON ({@code --json}) or as text for people. */
  <T> int show(Function<AdminClient, T> fetch, Function<T, MessageOrBuilder> json,
      BiFunction<T, Instant, String> text) {
    T found;
    try (AdminClient client = client()) {
      found = fetch.apply(client);
    }
    io.out().print(this.json ? Format.json(json.apply(found)) + "\n" : text.apply(found, io.clock().instant()));
    return 0;
  }

  /** A refusal of the tool itself (no confirmation, a mismatch): exit code 1 with the message. */
  static final class Refused extends RuntimeException {
    Refused(String message) {
      super(message, null, false, false);
    }
  }

  static final class EndpointArg implements CommandLine.ITypeConverter<Endpoint> {
    @Override
    public Endpoint convert(String value) {
      try {
        return Endpoint.parse(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  static final class DurationArg implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      Duration d;
      try {
        d = ConfigKey.parseDuration(value);
      } catch (RuntimeException e) {
        throw new CommandLine.TypeConversionException("'" + value + "' is not a duration such as 500ms, 10s or 1m");
      }
      if (d.isZero() || d.isNegative()) {
        throw new CommandLine.TypeConversionException("the timeout must be positive");
      }
      return d;
    }
  }
}
