package io.pledge.examples.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.sql.SQLException;
import org.h2.api.ErrorCode;
import org.junit.jupiter.api.Test;

/** What a refused client reads: the bank's reasons, never the database's raw words (issue 11 item 5). */
class RefusalTest {

  @Test
  void aLockTimeoutSaysTheAccountIsBusyWithoutTheSql() {
    SQLException timeout = new SQLException("Timeout trying to lock table \"ACCOUNT\"; SQL statement:\n"
        + "UPDATE account SET balance = balance - ? WHERE id = ? AND balance >= ? [50200-252]", "HYT00",
        ErrorCode.LOCK_TIMEOUT_1);
    String said = BankService.refusal(timeout, "bank-a", 3);
    assertEquals("account 3 is busy with another transaction; try again", said);
  }

  @Test
  void anyOtherDatabaseErrorNamesNoInternals() {
    String said = BankService.refusal(new SQLException("Column \"BALANCE\" not found; SQL statement: SELECT x",
        "42S22", ErrorCode.COLUMN_NOT_FOUND_1), "bank-a", 3);
    assertFalse(said.contains("SQL") || said.contains("SELECT") || said.contains("BALANCE"), said);
  }

  @Test
  void theBanksOwnReasonsPassAsTheyAre() {
    assertEquals("insufficient funds: account 1 cannot pay 101",
        BankService.refusal(new Accounts.InsufficientFunds(1, 101), "bank-a", 1));
  }
}
