"""Keras 1/2's `keras.engine` import paths (`from keras.engine.topology import Layer`)."""
