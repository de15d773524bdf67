package ai.finerewards.core.train;

/** Training examples by index, so a step's batch is a function of the step (needed to resume). */
public interface ExampleSet {
  int size();

  TrainExample get(int index);
}
