"""The experiments of seqrec: one pipeline (`pipeline.run`: dataset -> protocol -> encode -> fit ->
evaluate -> `Results` -> table or figure) and one configuration module per paper, whose functions
regenerate each table and figure::

    from seqrec.experiments import mtam
    table = mtam.table2(profile="small", seed=0)   # a TableOutput
    table.write("paper_tables")                    # markdown + JSON, the paper's numbers beside ours

The reproduce scripts are these functions behind the shared command line (`cli`).
"""

from .pipeline import MethodSpec, PaperDataset, Prepared, Results, Run, RunOptions, run

__all__ = ["MethodSpec", "PaperDataset", "Prepared", "Results", "Run", "RunOptions", "run"]
