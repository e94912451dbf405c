"""The item -> category table of the models that embed each item's category beside it (MTAM 5.1: "the
category of the item as context feature"; ATRank and DMRAN: the item's last category)."""

from keras import ops


class ItemCategories:
    """Mixin for a `keras.Model` with ``n_items`` and ``n_categories``: the non-trainable int32 table
    ``item_category`` [n_items] (saved with the weights; None without categories), set with
    `set_item_categories`."""

    def add_category_table(self) -> None:
        """Create ``item_category`` (call it in ``__init__``, where the model creates its weights)."""
        self.item_category = (self.add_weight(shape=(self.n_items,), dtype="int32", initializer="zeros",
                                              trainable=False, name="item_category")
                              if self.n_categories else None)

    def set_item_categories(self, categories) -> None:
        """Set each item's category index, int [n_items] in 0..n_categories-1 (0: none)."""
        categories = ops.convert_to_numpy(categories).astype("int32")
        if categories.shape != (self.n_items,) or categories.min() < 0 or \
                categories.max() >= self.n_categories:
            raise ValueError(f"item categories must be {self.n_items} indices in 0..{self.n_categories - 1}, "
                             f"got shape {categories.shape}")
        self.item_category.assign(categories)
