"""Evaluation of seqrec: metrics, ranking protocols, significance tests, the experiment runner and the
table writer that puts our numbers beside the papers'."""
