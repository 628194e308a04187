package io.pledge.common.durable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes H2 open the newest complete version of a file that a crash left behind, not an older one: run it on a
 * database file before anything opens it (the store, Flyway, a data source).
 *
 * <p><b>Why.</b> H2's MVStore (2.x, 2.5.252 included) finds the newest version after a crash by following a chain
 * from the chunk its store header names. When a chunk is written into reused space (a place its predecessor did not
 * predict), H2 rewrites the header, but with the position of the chunk <i>before</i> it (the header is written
 * before {@code lastChunk} moves on). That chunk, and every chunk chained after it, is then out of reach of the
 * quick recovery until the header is written again (up to 20 versions later, or at the next misprediction), and a
 * process killed in that window reopens silently at the older version: commits that were acknowledged, written to
 * the file and even synced disappear. Space reuse starts once freed chunks pass the retention time (45 s), and
 * sparse writes stretch the 20 versions over seconds: exactly what the chaos runs of issue 11 saw.
 *
 * <p><b>How.</b> MVStore's recovery mode scans the whole file for chunks with matching header and footer and opens
 * the newest version whose referenced chunks are all intact, the same judgement the quick path makes, over every
 * chunk instead of a broken chain. Closing the store then writes a clean header naming that version, which H2 (and
 * this store) open next as usual. The scan reads each block of the file once, only at start.
 *
 * <p>Not thread-safe with respect to the file: nothing else may have it open (H2's file lock makes sure).
 */
public final class H2Recovery {

  private static final Logger LOG = LoggerFactory.getLogger(H2Recovery.class);

  private H2Recovery() {}

  /**
   * Recovers {@code file} (an H2 database path without its {@code .mv.db} suffix) in place, if it exists.
   *
   * @return the store version the file now opens at, or empty when there is no file yet
   */
  public static Optional<Long> recover(Path file) {
    Path mvFile = Path.of(file.toAbsolutePath() + ".mv.db");
    if (!Files.exists(mvFile)) {
      return Optional.empty();
    }
    long quick;
    MVStore plain = new MVStore.Builder().fileName(mvFile.toString()).readOnly().open();
    try {
      quick = plain.getCurrentVersion();
    } finally {
      plain.closeImmediately();
    }
    MVStore scanned = new MVStore.Builder().fileName(mvFile.toString()).recoveryMode().open();
    long version;
    try {
      version = scanned.getCurrentVersion();
    } finally {
      scanned.close();
    }
    if (version != quick) {
      LOG.atWarn().addKeyValue("file", mvFile).addKeyValue("headerVersion", quick).addKeyValue("version", version)
          .log("H2's store header led to an older version than the file holds after a crash: opened the newest"
              + " complete version instead");
    }
    return Optional.of(version);
  }
}
