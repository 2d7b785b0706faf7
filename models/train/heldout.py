"""The page's held-out rule for few-shot fine-tuning, in Python.

core/nn/train (Adapt, the code the page and `myoseg adapt` run) refuses fewer
than MIN_IMAGES images, an image without a patient ID and a single patient,
then holds out about a quarter of the patients (at least one, at least one
left to train on), chosen by a seeded shuffle. This module reproduces that
choice exactly: Go's math/rand/v2 PCG (PCG-DXSM, 128-bit state) and its
Rand.Shuffle are re-implemented below, so the same patients with the same
seed give the same held-out patients here and in the page (the page sends
no seed: 0; `myoseg adapt` defaults to --seed 1).

    split_by_patient(subjects, frac=0.25, seed=0) -> (train_patients, held_patients)
"""
import math

MIN_IMAGES = 8  # core/nn/train.MinImages
HOLD_OUT = 0.25  # core/nn/train Options.HoldOut default
PAGE_SEED = 0  # the page's trainer gets no seed (wasm/trainer options.Seed zero value)

_M64 = (1 << 64) - 1
_SPLIT_STREAM = 0x73706c6974  # "split": the second PCG seed splitByPatient uses


class RefusedError(ValueError):
    """The set cannot be split for a held-out check; the message says why."""


class GoPCG:
    """math/rand/v2.PCG: 128-bit LCG state (hi, lo), DXSM output."""

    _MUL_HI, _MUL_LO = 2549297995355413924, 4865540595714422341
    _INC_HI, _INC_LO = 6364136223846793005, 1442695040888963407

    def __init__(self, seed1, seed2):
        self.hi, self.lo = seed1 & _M64, seed2 & _M64

    def uint64(self):
        state = (self.hi << 64) | self.lo
        mul = (self._MUL_HI << 64) | self._MUL_LO
        inc = (self._INC_HI << 64) | self._INC_LO
        state = (state * mul + inc) & ((1 << 128) - 1)
        self.hi, self.lo = state >> 64, state & _M64
        hi, lo = self.hi, self.lo
        hi ^= hi >> 32
        hi = (hi * 0xda942042e4dd58b5) & _M64
        hi ^= hi >> 48
        hi = (hi * (lo | 1)) & _M64
        return hi

    def uint64n(self, n):
        """Rand.uint64n on a 64-bit platform (wasm and amd64 alike)."""
        if n & (n - 1) == 0:
            return self.uint64() & (n - 1)
        prod = self.uint64() * n
        hi, lo = prod >> 64, prod & _M64
        if lo < n:
            thresh = ((1 << 64) - n) % n
            while lo < thresh:
                prod = self.uint64() * n
                hi, lo = prod >> 64, prod & _M64
        return hi

    def shuffle(self, xs):
        """Rand.Shuffle (Fisher-Yates from the end), in place."""
        for i in range(len(xs) - 1, 0, -1):
            j = self.uint64n(i + 1)
            xs[i], xs[j] = xs[j], xs[i]


def go_round(x):
    """math.Round: half away from zero (Python's round() goes to even)."""
    return math.floor(x + 0.5) if x >= 0 else -math.floor(-x + 0.5)


def split_by_patient(subjects, frac=HOLD_OUT, seed=PAGE_SEED, min_images=MIN_IMAGES):
    """subjects: one patient ID per image. Returns (train patients, held-out
    patients), each sorted, or raises RefusedError with core/nn/train's reasons."""
    subjects = list(subjects)
    if len(subjects) < min_images:
        raise RefusedError(f"too few corrected images: {len(subjects)}, at least {min_images} are needed "
                           f"to keep some aside for validation")
    if any(not s for s in subjects):
        raise RefusedError("an image has no patient ID (its file name starts with '_'): "
                           "the held-out split is by patient")
    if not 0 < frac < 1:
        frac = HOLD_OUT
    ids = sorted(set(subjects))
    if len(ids) < 2:
        raise RefusedError(f"images of one patient only ({len(subjects)} images, patient {ids[0]}): some patients "
                           f"must be kept aside to check the adapted model on people it has not seen")
    GoPCG(seed, _SPLIT_STREAM).shuffle(ids)
    nh = min(max(1, go_round(frac * len(ids))), len(ids) - 1)
    return sorted(ids[nh:]), sorted(ids[:nh])
