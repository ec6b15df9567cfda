"""The network: the model and its compiled bank, the search for the smallest perfect one,
simplification into a plainer network, and traces of its hidden states."""
