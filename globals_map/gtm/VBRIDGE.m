VBRIDGE ;vista-bridge: call-in entry points behind the GlobalStore contract (GT.M, M mode)
 ;Caller data is DATA here, never code.  g is a global name ("^NAME") that Python validated
 ;(globals_map.store.normalize_name) and CHK validates again; subscripts arrive packed as
 ;"len,bytes" repeated and are unpacked into the local array s(1..n).  References use name
 ;indirection on g alone (@g, @g@(s(1))) and naked references (^(s(n))): no reference is
 ;ever built as text from subscripts or values, so no XECUTE and no @ on caller strings.
 ;Bulk reads pack many nodes per call: records "subs"_$C(0)_"value"_$C(0), subscripts joined
 ;by $C(1); a field holding $C(0), $C(1) or $C(2) is escaped as $C(2) followed by "0", "1"
 ;or "2"; a value field that is $C(2) alone means "too large for this call, GET it".
 Q
 ;
CHK(g) ;refuse anything that is not a plain global name
 I $L(g)>32!(g'?1"^"1(1"%",1A).AN) S $EC=",U-VBRIDGE-INVALID-NAME,"
 Q
 ;
UNPK(pk) ;unpack "len,bytes"... into s(1..m); returns m
 N p,c,l,m S m=0,p=1
 F  Q:p>$L(pk)  S c=$F(pk,",",p),l=+$E(pk,p,c-2),m=m+1,s(m)=$E(pk,c,c+l-1),p=c+l
 Q m
 ;
NK(m) ;point the naked indicator at the level of s(m), i.e. ^(x) means ^G(s(1..m-1),x); m>=1
 N i,x S x=$D(@g@(s(1))) F i=2:1:m S x=$D(^(s(i-1),s(i)))
 Q
 ;
GET(g,pk,v) ;$DATA of the node; v its value ("" when it has none)
 N s,n,d D CHK(g) S n=$$UNPK(pk),v=""
 I n=0 S d=$D(@g) S:d#2 v=@g Q d
 D NK(n) S d=$D(^(s(n))) S:d#2 v=^(s(n))
 Q d
 ;
DATA(g,pk) ;$DATA
 N s,n D CHK(g) S n=$$UNPK(pk)
 I n=0 Q $D(@g)
 D NK(n) Q $D(^(s(n)))
 ;
SET(g,pk,v) ;set one node
 N s,n D CHK(g) S n=$$UNPK(pk)
 I n=0 S @g=v Q 0
 D NK(n) S ^(s(n))=v
 Q 0
 ;
KILL(g,pk,z) ;KILL the subtree (z=0) or ZKILL the node's value only (z=1)
 N s,n D CHK(g) S n=$$UNPK(pk)
 I n=0 K:'z @g ZK:z @g Q 0
 D NK(n) K:'z ^(s(n)) ZK:z ^(s(n))
 Q 0
 ;
ORDER(g,pk,k,dir,r) ;$ORDER of the children of s(1..n) after (dir=1) or before (dir=-1) k
 N s,n D CHK(g) S n=$$UNPK(pk)
 I n=0 S r=$O(@g@(k),dir) Q $L(r)
 D NK(n) S r=$O(^(s(n),k),dir)
 Q $L(r)
 ;
QUERY(g,pk,r) ;$QUERY: the next node with data in this global, its subscripts packed in r
 N s,n,q,i,x D CHK(g) S n=$$UNPK(pk),r=""
 I n=0 S q=$Q(@g)
 E  D NK(n) S q=$Q(^(s(n)))
 I q="" Q 0
 I $QS(q,0)'=g Q 0
 F i=1:1:$QL(q) S x=$QS(q,i),r=r_$L(x)_","_x
 Q 1
 ;
SETM(pkt) ;set many nodes: records "len,g" "len,packed subscripts" "len,value"; returns count
 N s,n,p,c,l,g,pk,v,cnt,last S p=1,cnt=0,last=""
 F  Q:p>$L(pkt)  D
 . S c=$F(pkt,",",p),l=+$E(pkt,p,c-2),g=$E(pkt,c,c+l-1),p=c+l
 . S c=$F(pkt,",",p),l=+$E(pkt,p,c-2),pk=$E(pkt,c,c+l-1),p=c+l
 . S c=$F(pkt,",",p),l=+$E(pkt,p,c-2),v=$E(pkt,c,c+l-1),p=c+l
 . I g'=last D CHK(g) S last=g
 . S n=$$UNPK(pk),cnt=cnt+1
 . I n=0 S @g=v Q
 . D NK(n) S ^(s(n))=v
 Q cnt
 ;
ATOMIC(pkt) ;apply records "op" "len,g" "len,packed subscripts" "len,value" (op S set, K kill,
 ;Z zkill) as one TP transaction: all or nothing, isolated from other processes; returns count
 N s,n,p,c,l,g,pk,v,op,cnt,last
 N $ET S $ET="TROLLBACK:$TL"
 TSTART ():SERIAL
 S p=1,cnt=0,last=""
 F  Q:p>$L(pkt)  D
 . S op=$E(pkt,p),p=p+1
 . S c=$F(pkt,",",p),l=+$E(pkt,p,c-2),g=$E(pkt,c,c+l-1),p=c+l
 . S c=$F(pkt,",",p),l=+$E(pkt,p,c-2),pk=$E(pkt,c,c+l-1),p=c+l
 . S c=$F(pkt,",",p),l=+$E(pkt,p,c-2),v=$E(pkt,c,c+l-1),p=c+l
 . I g'=last D CHK(g) S last=g
 . S n=$$UNPK(pk),cnt=cnt+1
 . I n=0 S:op="S" @g=v K:op="K" @g ZK:op="Z" @g Q
 . D NK(n) S:op="S" ^(s(n))=v K:op="K" ^(s(n)) ZK:op="Z" ^(s(n))
 TCOMMIT
 Q cnt
 ;
ESC(x) ;escape $C(2) (first), $C(0) and $C(1) for a bulk-read field
 N i,c,y,r F i=2,0,1 I x[$C(i) D
 . S r=$P(x,$C(i)) F c=2:1:$L(x,$C(i)) S r=r_$C(2)_i_$P(x,$C(i),c)
 . S x=r
 Q x
 ;
READ(g,pk,ak,mode,lim,cap,out) ;bulk read of the subtree at s(1..b) in $QUERY order
 ;mode 0: from the subtree's root; 1: after node ak; 2: at node ak; mode+3: the same with every
 ;field escaped (ESC).  lim caps the node count
 ;(0: none); cap bounds the bytes of out, roughly (a lone oversize value is left out).
 ;out = "0" (subtree done), "1" (continue AT the node named next) or "2" (continue AFTER it),
 ;then "len,packed subscripts" of that node, then a check field ending in ";", then the records.
 ;Returns the record count.  Unescaped, fields are written raw and the check field is "e1,e2":
 ;how many $C(1) and $C(2) the records put there ($C(0): two per record); the caller counts
 ;them (a fast byte count in Python) and, if a field held a separator so they do not add up,
 ;reads the chunk again escaped.  Escaped, the check field is empty.
 N s,n,b,d,i,k,v,r,p,q,j,c,cnt,pre,pp,more,tot,esc,e1,e2,x,z0,z1,z2
 D CHK(g) S z0=$C(0),z1=$C(1),z2=$C(2),esc=mode>2 S:esc mode=mode-3 S:'lim lim=-1 S:cap>400000 cap=400000
 S b=$$UNPK(pk),p="",q="",j=0,cnt=0,more=0,tot=0,e1=0,e2=0 K c,pre
 F i=1:1:b S pre(i)=$S(i=1:"",1:pre(i-1)_z1)_$$FLD(s(i))
 I mode=0 S n=b,pp=$S(n<2:"",1:pre(n-1)_z1),d=$$DAT() D:d#2 EMIT
 I mode>0 K s S n=$$UNPK(ak) F i=b+1:1:n S pre(i)=$S(i=1:"",1:pre(i-1)_z1)_$$FLD(s(i))
 I mode>0 S pp=$S(n<2:"",1:pre(n-1)_z1),d=$$DAT() I mode=2,d#2 D EMIT
 D:'more WALK
 S k="" I more F i=1:1:n S k=k_$L(s(i))_","_s(i)
 S r=more_$L(k)_","_k_$S(esc:"",1:e1_","_e2)_";"
 F i=1:1:j S r=r_c(i)
 S out=r_q_p
 Q cnt
 ;
WALK ;from node s(1..n) (emitted, or not to be), whose $DATA is d: the later nodes, in order.
 ;The naked indicator stays at the current level, so stepping to a sibling, testing it and
 ;reading its value are ^(k) references: no indirection per node.  pp is the key prefix of
 ;the current level (the parent's subscripts and a separator).  The FOR at W2 is the hot loop:
 ;siblings that hold a value and no children; anything else leaves it for the general path.
W1 I d<10,n'>b Q
 I d>9 S:n pre(n)=pp_$$FLD(s(n)),pp=pre(n)_z1 S:'n pp="" S k=$S(n=0:$O(@g@("")),1:$O(^(s(n),""))) I k'="" S n=n+1,s(n)=k G W3
 I d>9 S d=0,pp=$S(n<2:"",1:pre(n-1)_z1) D:n NK(n) G W1
W2 G:esc W6 S k=s(n),x=cnt F  S k=$O(^(k)) Q:k=""  S d=$D(^(k)) Q:d'=1  S v=^(k) Q:cnt=lim!($L(v)>cap)  S p=p_pp_k_z0_v_z0,cnt=cnt+1 I $L(p)>480 S q=q_p,p="" I $L(q)>16000 S j=j+1,c(j)=q,tot=tot+$L(q),q="" I tot>cap S more=2 Q
 S:k'="" s(n)=k S e1=cnt-x*(n-1)+e1
 Q:more
 I k="" Q:n-1'>b  S n=n-1,pp=$S(n<2:"",1:pre(n-1)_z1) D NK(n) G W2
 G:d=1 W4
 G W5
W3 S d=$D(^(k))
W5 I d#2 S v=^(k) G:esc!(cnt=lim)!($L(v)>cap) W4 S p=p_pp_k_z0_v_z0,cnt=cnt+1,e1=e1+n-1 I $L(p)>480 S q=q_p,p="" I $L(q)>16000 S j=j+1,c(j)=q,tot=tot+$L(q),q="" I tot>cap S more=2 Q
 G W1
W4 D EMIT Q:more  G W1
W6 S k=$O(^(s(n))) S:k'="" s(n)=k,d=$D(^(k)) G:k="" W7 G:d#2 W4 G W1
W7 Q:n-1'>b  S n=n-1,pp=$S(n<2:"",1:pre(n-1)_z1) D NK(n) G W6
 ;
FLD(x) ;one field as written: raw on the first pass, escaped when it must be on the second
 Q:'esc x
 Q:'(x[$C(0))&'(x[$C(1))&'(x[$C(2)) x
 Q $$ESC(x)
 ;
DAT() ;$DATA of node s(1..n) (n=0: the global's root), leaving the naked indicator at its level
 I n=0 Q $D(@g)
 D NK(n) Q $D(^(s(n)))
 ;
EMIT ;add node s(1..n) (naked indicator at its level) to the output, or stop (more=1)
 I lim>0,cnt'<lim S more=1 Q
 S v=$S(n=0:@g,1:^(s(n))),k=$S(n=0:"",1:pp_$$FLD(s(n))),x=0
 I esc,v[z0!(v[z1)!(v[z2) S v=$$ESC(v)
 S r=k_z0_v_z0
 I $L(r)>cap S r=k_z0_z2_z0,x=1
 I cnt,tot+$L(q)+$L(p)+$L(r)>cap S more=1 Q
 S p=p_r,cnt=cnt+1,e1=e1+$S(n>1:n-1,1:0),e2=e2+x
 I $L(p)>480 S q=q_p,p="" I $L(q)>16000 S j=j+1,c(j)=q,tot=tot+$L(q),q=""
 Q
 ;
NAMES(after,out) ;global names after "after" (unquoted, no caret), $C(0)-separated, up to ~64 KB
 N x,cnt S out="",cnt=0,x="^"_after
 I after="" S x="^%" I $D(^%) S out="%",cnt=1
 F  S x=$O(@x) Q:x=""  Q:x'?1"^"1(1"%",1A).AN  S out=out_$S(cnt:$C(0),1:"")_$E(x,2,99),cnt=cnt+1 Q:$L(out)>65000
 Q cnt
 ;
LOCK(g,pk,tmo,inc) ;LOCK +ref (inc=1, with timeout tmo ms) or LOCK -ref (inc=0); returns $TEST
 N s,n,i,ref D CHK(g) S n=$$UNPK(pk),ref=g
 F i=1:1:n S ref=$NA(@ref@(s(i)))
 I 'inc L -@ref Q 1
 L +@ref:tmo/1000
 Q $T
 ;
SETGD(gd) ;switch the global directory of this process
 S $ZGBLDIR=gd
 Q 0
 ;
NOP() Q 0
