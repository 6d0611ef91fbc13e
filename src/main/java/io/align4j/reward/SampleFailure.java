package io.align4j.reward;

/** A reward's failure on one known sample of the batch (row {@link #row()}), so the error can name it. */
public final class SampleFailure extends Exception {
    private final int row;

    public SampleFailure(int row, String message) {
        super(message);
        this.row = row;
    }

    /** Index of the failing sample in the batch. */
    public int row() { return row; }
}
