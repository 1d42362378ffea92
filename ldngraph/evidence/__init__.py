"""The GRADE evidence model, one module per GRADE noun (docs/evidence-model.md).

* :mod:`~ldngraph.evidence.weights`: how much one evidence item counts;
* :mod:`~ldngraph.evidence.bodies`: one body of evidence per intervention x condition x outcome;
* :mod:`~ldngraph.evidence.reviews`: reviews as containers of the studies they include;
* :mod:`~ldngraph.evidence.certainty`: a body's conclusion and the certainty in it;
* :mod:`~ldngraph.evidence.risk_of_bias`, :mod:`~ldngraph.evidence.imprecision`,
  :mod:`~ldngraph.evidence.publication_bias`: GRADE domains;
* :mod:`~ldngraph.evidence.claims`: claim and path strengths derived from the bodies;
* :mod:`~ldngraph.evidence.rdf`: scores materialised into the graph.
"""
