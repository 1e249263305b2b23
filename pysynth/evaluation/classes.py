"""Class scores from a classifier fitted on the reference's labels: the share of generated
clips recognized as the class they were meant to be, or an inception-style score, each
beside the real clips' own (from held-out predictions)."""

from __future__ import annotations

import numpy as np

#: Folds of the cross-validation that gives the real clips' held-out predictions (at most).
N_FOLDS = 5


def classifier():
    """Standardized embedding, then multinomial logistic regression: deterministic, fast, and
    well-behaved with tens of clips per class."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def usable_labels(labels: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Indices of the clips whose label has at least 2 clips, and those labels (sorted)."""
    names, counts = np.unique([lab for lab in labels if lab is not None], return_counts=True)
    kept = sorted(str(n) for n, c in zip(names, counts) if c >= 2)
    idx = np.array([i for i, lab in enumerate(labels) if lab in kept], dtype=int)
    return idx, kept


def inception_score(probs: np.ndarray) -> float:
    """``exp(E_x KL(p(y|x) || p(y)))``: 1 when every clip gets the same class distribution,
    the number of classes when each clip is recognized surely and the classes are balanced.

    >>> round(inception_score(np.eye(4)), 6)
    4.0
    """
    p = np.clip(probs, 1e-12, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def real_scores(Z: np.ndarray, labels: np.ndarray, seed: int) -> dict:
    """The real clips' held-out accuracy and inception-style score (cross-validated)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    _, counts = np.unique(labels, return_counts=True)
    folds = StratifiedKFold(n_splits=int(min(N_FOLDS, counts.min())), shuffle=True,
                            random_state=seed)
    probs = cross_val_predict(classifier(), Z, labels, cv=folds, method="predict_proba")
    classes = np.unique(labels)
    accuracy = float(np.mean(classes[probs.argmax(axis=1)] == labels))
    return {"accuracy": accuracy, "inception": inception_score(probs), "folds": folds.n_splits}


def generated_scores(Z_ref: np.ndarray, labels: np.ndarray, Z_gen: np.ndarray,
                     intended: list[str | None]) -> dict:
    """Fit on all labelled reference clips; the generated clips' consistency (share of clips
    with an intended label recognized as it; None without any) and inception-style score,
    and each clip's recognized class."""
    model = classifier().fit(Z_ref, labels)
    probs = model.predict_proba(Z_gen)
    predicted = model.classes_[probs.argmax(axis=1)]
    meant = [i for i, lab in enumerate(intended) if lab is not None]
    consistency = (float(np.mean([predicted[i] == intended[i] for i in meant]))
                   if meant else None)
    return {"consistency": consistency, "inception": inception_score(probs),
            "predicted": [str(p) for p in predicted], "n_intended": len(meant)}


def class_mix(predicted: list[str], real: list[str],
              classes: list[str]) -> tuple[dict[str, float], dict[str, float], float]:
    """Each class's share of the generated clips (by recognized class) and of the real
    ones, and the total variation distance between the two mixes (0 same, 1 disjoint).

    >>> class_mix(["a", "a"], ["a", "b"], ["a", "b"])
    ({'a': 1.0, 'b': 0.0}, {'a': 0.5, 'b': 0.5}, 0.5)
    """
    def shares(xs: list[str]) -> dict[str, float]:
        n = max(len(xs), 1)
        return {c: sum(x == c for x in xs) / n for c in classes}

    gen, ref = shares(predicted), shares(real)
    return gen, ref, 0.5 * float(sum(abs(gen[c] - ref[c]) for c in classes))
