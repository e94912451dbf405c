"""`seqrec.datasets.movie_text`: MovieLens item texts from the real TMDb overviews (via links.csv), the
title-and-genres fallback counted, and clear errors for a missing file, column or bad id."""

import pandas as pd
import pytest

from seqrec.datasets.errors import DataError, DatasetNotFoundError
from seqrec.datasets.movie_text import load_movie_texts, movie_texts, read_overviews


def test_real_overviews_join_through_links(ml_small, data_dir):
    texts, counts = load_movie_texts(ml_small.items, data_dir)
    assert counts["items"] == len(ml_small.items) == counts["overview"] + counts["title and genres"]
    assert counts["overview"] > 3000  # the manifest's count of latest-small movies with a TMDb overview
    toy_story = texts[ml_small.items.index[ml_small.items["title"] == "Toy Story (1995)"][0]]
    assert "Woody" in toy_story  # TMDb's overview of tmdb id 862
    untexted = ml_small.items.index[~ml_small.items["tmdb_id"].isin(read_overviews(
        data_dir / "movie-text" / "tmdb_5000_movies.csv").index)][0]
    item = ml_small.items.loc[untexted]
    assert texts[untexted] == f"{item['title']}. {' '.join(item['features'])}"


def test_bad_input(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=r"tmdb_5000_movies\.csv from https://www\.kaggle\.com"):
        read_overviews(tmp_path / "tmdb_5000_movies.csv")
    path = tmp_path / "movies.csv"
    path.write_text("id,plot\n1,a story\n")
    with pytest.raises(DataError, match=r"movies.csv: no column overview"):
        read_overviews(path)
    path.write_text("id,overview\n1,a story\nx7,another\n")
    with pytest.raises(DataError, match=r"row 3: the id 'x7' is not a TMDb id"):
        read_overviews(path)
    with pytest.raises(DataError, match="missing tmdb_id"):
        movie_texts(pd.DataFrame({"title": ["a"], "features": [()]}), pd.Series(dtype=str))
