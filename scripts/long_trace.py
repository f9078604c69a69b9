#!/usr/bin/env python3
"""A synthetic queue trace of N events (put, get, print, state in turn) for the export
memory figure in BENCHMARKS.md: python3 scripts/long_trace.py 1000000 1m.jsonl"""
import json, sys
n = int(sys.argv[1])
out = open(sys.argv[2], "w")
w = lambda d: out.write(json.dumps(d, separators=(",", ":")) + "\n")
t = 0
w({"t_us":0,"pid":100,"kind":"spawn","ppid":99,"label":"main"})
w({"t_us":0,"pid":99,"kind":"run","scenario":"queue","params":{"consumers":1,"items":n,"maxsize":10,"producers":1}})
w({"t_us":1,"pid":101,"kind":"spawn","ppid":100,"label":"producer 0"})
w({"t_us":2,"pid":102,"kind":"spawn","ppid":100,"label":"consumer 0"})
i = 0; count = 4
while count < n - 6:
    t += 7
    k = i % 4
    if k == 0: w({"t_us":t,"pid":101,"kind":"queue_put","queue":"q","item":i,"len":1})
    elif k == 1: w({"t_us":t,"pid":102,"kind":"queue_get","queue":"q","item":i-1,"len":0})
    elif k == 2: w({"t_us":t,"pid":102,"kind":"print","text":f"consumer 0 got item {i-2}"})
    else: w({"t_us":t,"pid":101,"kind":"state","state":"S","reason":"pipe_read","cpu":1.5})
    i += 1; count += 1
w({"t_us":t+1,"pid":101,"kind":"exit","code":0})
w({"t_us":t+2,"pid":102,"kind":"exit","code":0})
w({"t_us":t+3,"pid":100,"kind":"reap","child":101,"status":0,"code":0})
w({"t_us":t+4,"pid":100,"kind":"reap","child":102,"status":0,"code":0})
w({"t_us":t+5,"pid":99,"kind":"reap","child":100,"status":0,"code":0})
w({"t_us":t+6,"pid":100,"kind":"summary","processes":3,"leaked":0,"duration_us":t+6,"results":{}})
