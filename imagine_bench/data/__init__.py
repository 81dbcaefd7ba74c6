"""Datasets: flat rollouts, the HDF5 store, expert collection, the cache, and the d3rlpy-facing replay buffer."""

from imagine_bench.data.cache import load_datasets
from imagine_bench.data.rollouts import Rollouts, RolloutWriter, concatenate
from imagine_bench.data.store import DatasetError

__all__ = ["Rollouts", "RolloutWriter", "concatenate", "load_datasets", "DatasetError"]
