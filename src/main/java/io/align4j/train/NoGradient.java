package io.align4j.train;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope in which the engine records no autograd graph (torch's {@code no_grad}), for frozen
 * models and for sampling: their forward passes then keep no activations for a backward pass
 * that never comes. Restores the previous mode on close, so scopes nest.
 */
public final class NoGradient implements AutoCloseable {
    private final boolean previous;

    public NoGradient() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
    }

    @Override
    public void close() { JniUtils.setGradMode(previous); }
}
