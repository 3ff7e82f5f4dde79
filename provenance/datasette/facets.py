"""A year facet: ``{"year": "published"}`` counts rows by the year of an ISO 8601 date column.

Selecting a year filters with ``published__startswith=2008``, one of Datasette's own filters, so
the table page, its JSON and its CSV all agree on what is selected.
"""

from __future__ import annotations

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import (
    escape_sqlite,
    path_with_added_args,
    path_with_removed_args,
)


class YearFacet(Facet):
    type = "year"

    async def suggest(self) -> list:
        return []  # only offered where the configuration asks for it

    async def facet_results(self) -> tuple[list, list]:
        results: list = []
        timed_out: list = []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            year = f"substr({escape_sqlite(column)}, 1, 4)"
            sql = (
                f"select {year} as value, count(*) as count from ({self.sql})"
                f" where {escape_sqlite(column)} glob '[0-9][0-9][0-9][0-9]*'"
                f" group by value order by value desc limit {size + 1}"
            )
            try:
                found = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:
                timed_out.append(column)
                continue
            key = f"{column}__startswith"
            values = []
            for row in found.rows[:size]:
                selected = args.get(key) == row["value"]
                toggle = (
                    path_with_removed_args(self.request, {key: row["value"]})
                    if selected
                    else path_with_added_args(self.request, {key: row["value"]})
                )
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, toggle),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": f"{column} (year)",
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_year": column}),
                    "truncated": len(found.rows) > size,
                }
            )
        return results, timed_out
