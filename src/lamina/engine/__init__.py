"""The engine under every layer and model: the Layer base class, weight layouts, symbolic tensors and the graph
they record (Input, Lambda, the nodes, running them), and layer configs. Also Keras 1/2's `keras.engine` import
paths (`from keras.engine.topology import Layer`). docs/design.md draws who imports whom."""
