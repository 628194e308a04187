package io.pledge.admin;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Clock;

/** {@code java -jar pledge-admin.jar ...}: see {@link AdminCli}. */
public final class AdminMain {

  private AdminMain() {}

  public static void main(String[] args) {
    Charset charset = System.console() != null ? System.console().charset() : Charset.defaultCharset();
    AdminCli.Io io = new AdminCli.Io(new BufferedReader(new InputStreamReader(System.in, charset)),
        System.console() != null, new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.getenv(),
        Clock.systemUTC());
    System.exit(AdminCli.run(io, args));
  }
}
