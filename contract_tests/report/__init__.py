"""The concept map (concepts.toml), its honesty check, the HTML report and the README table.

* :mod:`report.concept_map` loads ``concepts.toml``, finds the code it names with :mod:`ast`,
  finds the contract tests through their ``@pytest.mark.concept`` markers and checks it all.
* ``python -m report`` renders ``reports/report.html`` from the map, ``reports/parity.json``
  and ``reports/parity-junit.xml`` (written by ``make parity``).
* ``python -m report.readme`` rewrites the concept table in the top-level README.
"""
