"""The unified question bank (统一题库): items, versions, review, import/export, blueprints, paper assembly
and item statistics. A library of its own: no Flask, never imports exam_center (DESIGN.md §2).

The exam centre asks it for a paper and freezes that paper into the attempt.
"""
