"""The graph model of slates, and the Cypher that reads and writes it.

    (:Player {id, name})-[:IN_SLATE {positions, salary, team, opponent, projection, stdev,
                                     ownership, game_time, roster_position,
                                     field_projection}]->
        (:Slate {id, sport, contest_type, site})

A player's per-slate facts live on the IN_SLATE relationship, so one player node serves every
slate he appears in (in showdown each row of a player is its own id, so its own node). Every
query takes its values as parameters, never by string formatting.
"""

LOAD_SLATE = """
MATCH (s:Slate {id: $slate_id})
OPTIONAL MATCH (p:Player)-[r:IN_SLATE]->(s)
WITH s, p, r ORDER BY p.id
RETURN s.sport AS sport, s.contest_type AS contest_type,
       collect(CASE WHEN p IS NULL THEN NULL ELSE {
         id: p.id, name: p.name, positions: r.positions, salary: r.salary, team: r.team,
         opponent: r.opponent, projection: r.projection, stdev: r.stdev,
         ownership: r.ownership, game_time: r.game_time, roster_position: r.roster_position,
         field_projection: r.field_projection
       } END) AS players
"""

WRITE_SLATE = """
MERGE (s:Slate {id: $slate_id})
SET s.sport = $sport, s.contest_type = $contest_type, s.site = 'draftkings'
WITH s
OPTIONAL MATCH (:Player)-[old:IN_SLATE]->(s)
DELETE old
WITH DISTINCT s
UNWIND $players AS row
MERGE (p:Player {id: row.id})
SET p.name = row.name
CREATE (p)-[:IN_SLATE {positions: row.positions, salary: row.salary, team: row.team,
  opponent: row.opponent, projection: row.projection, stdev: row.stdev,
  ownership: row.ownership, game_time: row.game_time,
  roster_position: row.roster_position, field_projection: row.field_projection}]->(s)
"""
