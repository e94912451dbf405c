"""The experiments of seqrec: one pipeline (`pipeline.run`: dataset -> protocol -> encode -> fit ->
evaluate -> `Results` -> table or figure) and one configuration module per paper, whose functions
regenerate each table and figure::

    from seqrec.experiments import mtam
    table = mtam.table2(profile="small", seed=0)   # a TableOutput
    table.write("paper_tables")                    # markdown + JSON, the paper's numbers beside ours

The reproduce scripts are these functions behind the shared command line (`cli`).
"""

__all__ = ["MethodSpec", "PaperDataset", "Prepared", "Results", "Run", "RunOptions", "run"]


def __getattr__(name: str):
    """The pipeline's names, imported on first use, so that ``from seqrec.experiments import cli`` (the
    reproduce scripts' first import) runs before TensorFlow is imported and can quiet its logging."""
    if name in __all__:
        from . import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
