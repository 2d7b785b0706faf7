package zscore

// The normal echo-intensity models below are transcribed from
// shared/reference/echo-intensity-reference.json: linear models of the mean
// grey value (0–255) inside the muscle's cross-section in healthy adults,
// Esaote scanners at Radboud university medical center's fixed muscle preset
// (gain 50 %, enhancers off; reference cohort "ESAOTE_6100"). Source: the
// exported MATLAB models final_models/MUS_EI_models.json of the public
// repository CreateRandom/muscle-ultrasound (MSc thesis, Radboud AI for
// Health). Units are not stated in the source; we assume age in years,
// weight in kg, height in cm (documented in README.md).

// term is one predictor of a linear model.
type term int

const (
	intercept term = iota
	age
	ageSquared
	sexMale
	weight
	height
)

var termNames = [...]string{"Intercept", "Age", "Age^2", "Sex_Male", "Weight", "Height"}

func (t term) String() string { return termNames[t] }

// linearModel is one muscle's normal EI model: EI_hat = coef·x and the
// prediction SD sqrt(x'·cov·x + mse).
type linearModel struct {
	muscle Muscle
	terms  []term
	coef   []float64
	mse    float64
	cov    [][]float64
}

// reference returns the models; a function, not a package variable, so no
// caller can modify the table.
func reference() []linearModel {
	return []linearModel{
		{
			muscle: BicepsBrachii,
			terms:  []term{intercept, age, weight, ageSquared},
			coef:   []float64{53.159884576842742, 0.066149812211101416, 0.087741223140804042, 0.0025047900746030822},
			mse:    49.569248428791312,
			cov: [][]float64{
				{4.2482237277042874, -0.068757114541559736, -0.044298793355570576, 0.00081282812835382077},
				{-0.068757114541559736, 0.019386634598539381, -0.0044990474048780035, -0.00019650873330553784},
				{-0.044298793355570576, -0.0044990474048780035, 0.0021505826942933644, 4.0124231481371795e-5},
				{0.00081282812835382077, -0.00019650873330553784, 4.0124231481371795e-5, 2.09997978406186e-6},
			},
		},
		{
			muscle: TibialisAnterior,
			terms:  []term{intercept, sexMale, age},
			coef:   []float64{63.601269249536138, -6.4645668443179538, 0.35272171724456558},
			mse:    79.021581400424068,
			cov: [][]float64{
				{4.5264189099986885, -1.7870737744417446, -0.067504202415608658},
				{-1.7870737744417446, 3.5520089966049722, -0.00021931986204229878},
				{-0.067504202415608658, -0.00021931986204229878, 0.0016688741760899225},
			},
		},
		{
			muscle: GastrocnemiusMedialis,
			terms:  []term{intercept, sexMale, age, height},
			coef:   []float64{78.678693615468973, -4.3735448664086745, 0.32507746691462697, -0.13369387312606573},
			mse:    61.024508442661443,
			cov: [][]float64{
				{51.214635287578218, 1.6786881151297317, 0.10129167369055755, -0.33193438326724578},
				{1.6786881151297317, 3.1056490473009593, 0.011923191361754763, -0.022701904925149348},
				{0.10129167369055755, 0.011923191361754763, 0.0018865264109274138, -0.0010806525306709714},
				{-0.33193438326724578, -0.022701904925149348, -0.0010806525306709714, 0.002314550000102238},
			},
		},
		{
			muscle: RectusFemoris,
			terms:  []term{intercept, age, height, ageSquared},
			coef:   []float64{104.19766416802493, 1.2299727242444003, -0.39486087957062876, -0.010357173054948116},
			mse:    60.776429352316171,
			cov: [][]float64{
				{62.936386177188929, 0.86050498569359479, -0.46724825317105417, -0.0087814123686579},
				{0.86050498569359479, 0.04652057635713007, -0.0097987063393609759, -0.00051102079744183549},
				{-0.46724825317105417, -0.0097987063393609759, 0.0038613552100435272, 0.00010087376062066734},
				{-0.0087814123686579, -0.00051102079744183549, 0.00010087376062066734, 5.8404453552494253e-6},
			},
		},
		{
			muscle: VastusLateralis,
			terms:  []term{intercept, age, height},
			coef:   []float64{107.83476949131546, 0.29176339472804941, -0.30853725724084163},
			mse:    80.309150762177367,
			cov: [][]float64{
				{71.346980605033664, 0.1166002946658779, -0.44741748549409505},
				{0.1166002946658779, 0.0022474121459344172, -0.0012198930440271978},
				{-0.44741748549409505, -0.0012198930440271978, 0.0029538972393634128},
			},
		},
	}
}
