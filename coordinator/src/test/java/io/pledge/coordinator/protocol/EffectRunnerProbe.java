package io.pledge.coordinator.protocol;

/** The effect runner's logger name, for tests elsewhere that count its lines (the class is package-private). */
public final class EffectRunnerProbe {

  public static final String LOGGER_NAME = EffectRunner.class.getName();

  private EffectRunnerProbe() {}
}
