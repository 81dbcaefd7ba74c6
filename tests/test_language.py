"""all-MiniLM-L6-v2 from the installed package: offline, 384-d, normalised, semantically sensible."""

from __future__ import annotations

import numpy as np


def test_minilm_offline_embeddings(minilm):
    vectors = minilm.embed(["pick up the red ball", "grab the red ball", "close the window"])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > 0.8 > unrelated


def test_minilm_vector_does_not_depend_on_the_other_texts_embedded_with_it():
    """Batched encoding changed last bits with the batch's padding, and with them training results (cache history)."""
    from imagine_bench.language import MiniLMEmbedder

    model = MiniLMEmbedder()
    text = "put the mug under the coffee machine and press its button"
    alone = model.embed([text])[0]
    with_others = model.embed(["open the window", text, "a much longer instruction " * 8])[1]
    np.testing.assert_array_equal(alone, with_others)
